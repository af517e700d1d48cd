//! Unit tests of keys, key files and signatures.

use super::*;

fn digest() -> Digest {
    Digest::compute(b"manifest", b"\0asm")
}

#[test]
fn sign_and_verify() {
    let (secret, public) = keygen();
    let trusted: TrustedKeys = [public].into_iter().collect();
    let signature = sign(&secret, &digest());
    assert_eq!(signature.key_id, public.key_id());
    assert_eq!(verify(&trusted, &digest(), &signature), Ok(public.key_id()));

    let other = Digest::compute(b"manifest", b"\0asn");
    assert_eq!(
        verify(&trusted, &other, &signature),
        Err(SignatureError::Mismatch(public.key_id()))
    );
    let mut flipped = signature;
    flipped.bytes[10] ^= 1;
    assert!(verify(&trusted, &digest(), &flipped).is_err());
    assert_eq!(
        verify(&TrustedKeys::new(), &digest(), &signature),
        Err(SignatureError::UnknownKey(public.key_id()))
    );
}

#[test]
fn key_files_round_trip() {
    let (secret, public) = keygen();
    let text = secret.to_text();
    assert!(text.starts_with("bantong-ed25519-secret-v1 "));
    let back = SigningKey::from_text(&format!("# my key\n\n{text}")).unwrap();
    assert_eq!(back.public_key(), public);

    let (_, second) = keygen();
    let file = format!("# trusted\n{}{}", public.to_text(), second.to_text());
    let trusted = TrustedKeys::from_text(&file).unwrap();
    assert_eq!(trusted.len(), 2);
    assert_eq!(trusted.get(&public.key_id()), Some(&public));
    assert!(TrustedKeys::from_text("").unwrap().is_empty());
}

#[test]
fn key_id_is_sha256_prefix() {
    let (_, public) = keygen();
    let hash = Sha256::digest(public.0.as_bytes());
    assert_eq!(public.key_id().to_string(), hex::encode(&hash[..8]));
    assert_eq!(public.key_id().to_string().len(), 16);
}

#[test]
fn bad_key_files_are_explained() {
    let (secret, public) = keygen();
    let wrong_id = public
        .to_text()
        .replace(&public.key_id().to_string(), "0000000000000000");
    let error = TrustedKeys::from_text(&format!("\n{wrong_id}")).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "key file line 2: key id \"0000000000000000\" does not match the key (its id is {})",
            public.key_id()
        )
    );
    let error = TrustedKeys::from_text(&secret.to_text()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "key file line 1: expected a line starting with \"bantong-ed25519-public-v1\""
    );
    assert!(TrustedKeys::from_text("bantong-ed25519-public-v1 00 AAAA").is_err());
    assert!(TrustedKeys::from_text("just one").is_err());
    // The identity point is a weak key.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = format!("{PUBLIC_TAG} 0000000000000000 {}", BASE64.encode(identity));
    assert!(TrustedKeys::from_text(&weak).is_err());
    let two = format!("{}{}", secret.to_text(), secret.to_text());
    assert!(SigningKey::from_text(&two).is_err());
    assert!(SigningKey::from_text("").is_err());
}

#[test]
fn secrets_do_not_leak_through_debug() {
    let (secret, _) = keygen();
    let shown = format!("{secret:?}");
    let seed = BASE64.encode(secret.0.to_bytes());
    assert!(!shown.contains(&seed));
    assert_eq!(shown, format!("SigningKey({})", secret.key_id()));
}

#[test]
fn signature_forms_round_trip() {
    let (secret, _) = keygen();
    let signature = sign(&secret, &digest());
    assert_eq!(Signature::from_bytes(&signature.to_bytes()), Ok(signature));
    assert_eq!(signature.to_string().parse::<Signature>(), Ok(signature));
    assert!(Signature::from_bytes(&[0u8; 71]).is_err());
    assert!(Signature::from_bytes(&[0u8; 73]).is_err());
    assert!("nonsense".parse::<Signature>().is_err());
    assert!("0011:AAAA".parse::<Signature>().is_err());
}
