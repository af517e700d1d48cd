//! The service catalogue's versions.

use bantong_store::{Error, NewCatalogueVersion};

use crate::both;
use crate::common::{Backend, TestDb};

both!(catalogue_versions_are_kept_and_publishing_is_checked);

fn new<'a>(body: &'a str, base: Option<i64>, at: i64) -> NewCatalogueVersion<'a> {
    NewCatalogueVersion {
        body,
        items: 1,
        note: "首次导入",
        source: "import:事项库.xlsx",
        published_at: at,
        published_by: "admin",
        base,
    }
}

async fn catalogue_versions_are_kept_and_publishing_is_checked(backend: Backend) {
    let db = TestDb::new(backend).await;
    let cat = db.store.catalogue();
    assert_eq!(cat.current_version().await.unwrap(), None);
    assert!(cat.get(None).await.unwrap().is_none());

    let v1 = cat
        .publish(&new(r#"{"items":[1]}"#, None, 10))
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    // Starting from "none" again, or from a version that is not current,
    // is refused and writes nothing.
    for base in [None, Some(7)] {
        let e = cat.publish(&new("{}", base, 11)).await.unwrap_err();
        assert!(matches!(e, Error::Conflict(_)), "{e:?}");
    }
    let v2 = cat
        .publish(&new(r#"{"items":[2]}"#, Some(1), 12))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);

    let (info, body) = cat.get(None).await.unwrap().unwrap();
    assert_eq!((info.version, body.as_str()), (2, r#"{"items":[2]}"#));
    let (old, body) = cat.get(Some(1)).await.unwrap().unwrap();
    assert_eq!((old, body.as_str()), (v1, r#"{"items":[1]}"#));
    assert!(cat.get(Some(3)).await.unwrap().is_none());
    let all: Vec<i64> = cat
        .versions()
        .await
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(all, [2, 1]);
    assert_eq!(cat.current_version().await.unwrap(), Some(2));
}
