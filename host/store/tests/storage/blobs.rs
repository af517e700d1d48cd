//! Blobs: size and type limits, magic-byte checks, idempotence, verification.

use bantong_store::Error;

use crate::both;
use crate::common::{Backend, TestDb};

both!(
    blob_limits_and_checks,
    blobs_are_content_addressed_and_verified
);

pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR fake png body";
pub const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];
pub const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n";
pub const WEBP: &[u8] = b"RIFF\x1a\0\0\0WEBPVP8 \x0e\0\0\0fake";

async fn blob_limits_and_checks(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    for (bytes, ty) in [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (PDF, "application/pdf"),
        (WEBP, "image/webp"),
    ] {
        let r = s.put_blob(bytes, ty).await.unwrap();
        assert_eq!((r.size, r.content_type.as_str()), (bytes.len() as u64, ty));
    }
    assert!(
        s.put_blob("héllo".as_bytes(), "text/plain; charset=utf-8")
            .await
            .is_ok()
    );
    assert!(
        s.put_blob(br#"{"a": [1, 2]}"#, "application/json")
            .await
            .is_ok()
    );

    let too_big = vec![b'a'; 64 * 1024 + 1];
    assert!(matches!(
        s.put_blob(&too_big, "text/plain").await,
        Err(Error::TooLarge(_))
    ));
    let rejected: [(&[u8], &str); 7] = [
        (JPEG, "image/png"),
        (PNG, "image/jpeg"),
        (b"not a pdf", "application/pdf"),
        (b"RIFF\0\0\0\0WAVEfmt ", "image/webp"),
        (&[0xC3, 0x28], "text/plain"),
        (b"{oops", "application/json"),
        (b"GIF89a", "image/gif"),
    ];
    for (bytes, ty) in rejected {
        let err = s.put_blob(bytes, ty).await.unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{ty}: {err:?}");
    }
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blobs")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(rows, 6, "rejected blobs leave no row");
}

async fn blobs_are_content_addressed_and_verified(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let a = s.put_blob(PNG, "image/png").await.unwrap();
    let b = s.put_blob(PNG, "image/png").await.unwrap();
    assert_eq!(a, b, "same bytes, same blob");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blobs")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(rows, 1);

    let path = db.blob_dir().join(&a.sha256[..2]).join(&a.sha256[2..]);
    assert_eq!(std::fs::read(&path).unwrap(), PNG, "stored under ab/cdef…");
    let (r, bytes) = s.get_blob(&a.sha256).await.unwrap().unwrap();
    assert_eq!((r, bytes.as_slice()), (a.clone(), PNG));

    assert!(s.get_blob(&"0".repeat(64)).await.unwrap().is_none());
    assert!(matches!(
        s.get_blob("../etc/passwd").await,
        Err(Error::Invalid(_))
    ));

    std::fs::write(&path, b"tampered").unwrap();
    assert!(matches!(
        s.get_blob(&a.sha256).await,
        Err(Error::Corrupt(_))
    ));
    // Putting the bytes again repairs the file.
    s.put_blob(PNG, "image/png").await.unwrap();
    assert!(s.get_blob(&a.sha256).await.unwrap().is_some());
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(
        s.get_blob(&a.sha256).await,
        Err(Error::Corrupt(_))
    ));
}
