//! The README's examples stay true: its manifest and policy blocks parse.

use bantong_manifest::{Manifest, Policy, grant};

const README: &str = include_str!("../README.md");

/// The bodies of the README's ```toml blocks, in order.
fn toml_blocks() -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in README.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```toml") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn readme_examples_parse() {
    let blocks = toml_blocks();
    assert_eq!(blocks.len(), 3, "manifest, config string, policy");
    let manifest = Manifest::parse(&blocks[0]).unwrap();
    assert_eq!(manifest.id, "door-service");
    assert_eq!(manifest.config_defaults()["max_daily_visits"], 20);

    let header = "id = \"x-plugin\"\nversion = \"1.0.0\"\nwit = \"0.1.0\"\nname = { zh = \"样例\", en = \"Sample\" }\n";
    let with_string_schema = Manifest::parse(&format!("{header}{}", blocks[1])).unwrap();
    assert_eq!(
        with_string_schema.config_defaults()["label"],
        serde_json::Value::Null
    );

    let policy = Policy::parse(&blocks[2]).unwrap();
    assert!(grant(&manifest, &policy).denied().len() > 1);
}
