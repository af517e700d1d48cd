//! Unit tests of manifest parsing, serialisation and the canonical form.

use super::*;
use serde_json::json;

const MINIMAL: &str = r#"
id = "queue"
version = "1.0.0"
wit = "0.1.0"
name = { zh = "排队叫号", en = "Queue" }
"#;

#[test]
fn minimal_manifest_gets_defaults() {
    let m = Manifest::parse(MINIMAL).unwrap();
    assert_eq!(m.world, World::Module);
    assert!(m.capabilities.log && m.capabilities.clock);
    assert_eq!(
        m.requested_capabilities(),
        [Capability::Log, Capability::Clock].into_iter().collect()
    );
    assert_eq!(m.config_defaults(), json!({}));
    assert!(m.config_schema().unwrap().is_none());
}

#[test]
fn shape_errors_name_the_field_and_line() {
    let error = Manifest::parse(&format!("{MINIMAL}world = \"cloud\"\n")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "world: unknown variant `cloud`, expected `module` or `edge` (line 6, column 9)"
    );
    let error =
        Manifest::parse(&format!("{MINIMAL}[[routes]]\nmethod = \"GET\"\npath = \"/\"\n[[routes]]\nmethod = \"FETCH\"\npath = \"/\"\n"))
            .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("routes[1].method: unknown variant `FETCH`"),
        "{error}"
    );
    let error = Manifest::parse(&format!("{MINIMAL}colour = 1\n")).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("colour: unknown field `colour`"),
        "{error}"
    );
    let error = Manifest::parse("id = \"queue\"").unwrap_err();
    assert_eq!(
        error.to_string(),
        "missing field `version` (line 1, column 1)"
    );
    let error = Manifest::parse("id = ").unwrap_err();
    assert!(
        matches!(error, ManifestError::Syntax { line: Some(1), .. }),
        "{error}"
    );
}

#[test]
fn unsupported_wit_is_rejected() {
    let text = MINIMAL.replace("wit = \"0.1.0\"", "wit = \"0.2.0\"");
    assert_eq!(
        Manifest::parse(&text).unwrap_err().to_string(),
        "wit: WIT version 0.2.0 is not supported (supported: 0.1.0, 0.1.1, 0.1.2, 0.1.3, 0.1.4, 0.1.5)"
    );
}

#[test]
fn schema_may_be_a_json_string() {
    let as_table = Manifest::parse(&format!(
        "{MINIMAL}[config.schema]\ntype = \"object\"\nproperties = {{ n = {{ type = \"integer\", default = 3 }} }}\n"
    ))
    .unwrap();
    let as_string = Manifest::parse(&format!(
        "{MINIMAL}[config]\nschema = '''{{\"type\": \"object\", \"properties\": {{\"n\": {{\"type\": \"integer\", \"default\": 3}}}}}}'''\n"
    ))
    .unwrap();
    assert_eq!(as_table, as_string);
    assert_eq!(
        as_table.canonical_bytes().unwrap(),
        as_string.canonical_bytes().unwrap()
    );
    assert_eq!(as_table.config_defaults(), json!({"n": 3}));
    assert!(
        as_table
            .requested_capabilities()
            .contains(&Capability::Config)
    );

    let error = Manifest::parse(&format!("{MINIMAL}[config]\nschema = \"{{oops\"\n")).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("config.schema: is not valid JSON: "),
        "{error}"
    );
}

#[test]
fn toml_and_canonical_forms_round_trip() {
    let text = format!(
        "{MINIMAL}[config]\nschema = '{{\"type\": \"object\", \"properties\": {{\"x\": {{\"type\": [\"string\", \"null\"], \"default\": null}}}}}}'\n[limits]\ntimeout-ms = 900\n"
    );
    let m = Manifest::parse(&text).unwrap();
    let toml_text = m.to_toml().unwrap();
    assert_eq!(Manifest::parse(&toml_text).unwrap(), m);
    let canonical = m.canonical_bytes().unwrap();
    assert_eq!(Manifest::from_canonical(&canonical).unwrap(), m);
    assert_eq!(m.config_defaults(), json!({"x": null}));
}

#[test]
fn canonical_form_ignores_layout() {
    let reordered = r#"
# a comment
name.en = "Queue"
name.zh = "排队叫号"
wit = "0.1.0"
version = "1.0.0"
id = "queue"
world = "module"
[capabilities]
log = true
"#;
    let a = Manifest::parse(MINIMAL).unwrap();
    let b = Manifest::parse(reordered).unwrap();
    assert_eq!(a.canonical_bytes().unwrap(), b.canonical_bytes().unwrap());
    let text = String::from_utf8(a.canonical_bytes().unwrap()).unwrap();
    assert!(
        text.starts_with(r#"{"capabilities":{"blobs":false,"#),
        "{text}"
    );
}

#[test]
fn canonical_decoding_is_strict() {
    let m = Manifest::parse(MINIMAL).unwrap();
    let mut bytes = m.canonical_bytes().unwrap();
    bytes.extend_from_slice(b" x");
    assert!(Manifest::from_canonical(&bytes).is_err());
    let error = Manifest::from_canonical(
        br#"{"id":"queue","version":"1.0.0","wit":"0.1.0","name":{"zh":"a","en":"b"},"extra":1}"#,
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("extra: unknown field `extra`"),
        "{error}"
    );
    assert!(Manifest::from_canonical(b"\xff").is_err());
}

#[test]
fn oversized_input_is_refused() {
    let text = format!("{MINIMAL}#{}", "x".repeat(Manifest::MAX_BYTES));
    assert!(matches!(
        Manifest::parse(&text),
        Err(ManifestError::TooLarge { .. })
    ));
}
