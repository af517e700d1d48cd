//! Unit tests of capability text and `[capabilities]` validation.

use super::*;

#[test]
fn text_round_trips() {
    for text in [
        "storage",
        "blobs",
        "config",
        "log",
        "clock",
        "notices",
        "documents",
        "directory",
        "events-publish:hotline.order.*",
        "storage-read:hotline/work_orders",
        "peripheral:id-reader",
    ] {
        let capability: Capability = text.parse().unwrap();
        assert_eq!(capability.to_string(), text);
    }
    assert!(Capability::Storage.is_simple());
    assert!(!Capability::EventsPublish("a".into()).is_simple());
}

#[test]
fn bad_text_is_explained() {
    let error = "camera".parse::<Capability>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "\"camera\" is not a capability: expected storage, blobs, config, log, clock, \
         notices, documents, directory, public-writes, events-publish:<pattern>, events-subscribe:<pattern>, \
         storage-read:<owner>/<collection>, module-read:<plugin> or peripheral:<class>"
    );
    assert!("events-publish:".parse::<Capability>().is_err());
    assert!("storage-read:hotline".parse::<Capability>().is_err());
    assert!("storage-read:Hot/orders".parse::<Capability>().is_err());
    assert!("peripheral:toaster".parse::<Capability>().is_err());
    assert!("storage-read:hotline/Orders".parse::<Capability>().is_err());
}

#[test]
fn defaults_match_serde_defaults() {
    let parsed: Capabilities = toml::from_str("").unwrap();
    assert_eq!(parsed, Capabilities::default());
    assert!(parsed.log && parsed.clock && !parsed.storage);
}

#[test]
fn section_is_validated() {
    let section = Capabilities {
        events_publish: vec!["a.*".into(), "a.*".into(), "A".into()],
        storage_read: vec![
            "me/orders".into(),
            "hotline/orders".into(),
            "hotline/orders".into(),
            "orders".into(),
        ],
        peripherals: vec!["id-reader".into(), "toaster".into(), "id-reader".into()],
        ..Capabilities::default()
    };
    let mut problems = Problems::default();
    section.validate("me", &mut problems);
    let text: Vec<String> = match problems.into_result() {
        Ok(()) => Vec::new(),
        Err(e) => e.field_errors().iter().map(ToString::to_string).collect(),
    };
    assert_eq!(
        text,
        vec![
            "capabilities.events-publish[1]: duplicate pattern \"a.*\"",
            "capabilities.events-publish[2]: \"A\": every dot-separated segment must be lowercase letters, digits, '_' or '-', or a single \"*\"",
            "capabilities.peripherals[1]: unknown device class \"toaster\"; expected one of rating-keypad, queue-display, ticket-printer, receipt-printer, id-reader, fingerprint, scanner, pin-pad",
            "capabilities.peripherals[2]: duplicate class \"id-reader\"",
            "capabilities.storage-read[0]: names the plugin itself; its own collections need only `storage`",
            "capabilities.storage-read[2]: duplicate entry \"hotline/orders\"",
            "capabilities.storage-read[3]: \"orders\" must be written owner/collection",
        ]
    );
}
