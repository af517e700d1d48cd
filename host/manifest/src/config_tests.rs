//! Unit tests of config schemas, defaults, merging and messages.

use super::*;
use serde_json::json;

fn schema() -> ConfigSchema {
    ConfigSchema::new(&json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["hall_name"],
        "properties": {
            "hall_name": {"type": "string", "minLength": 2, "maxLength": 20},
            "max_queue": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
            "mode": {"enum": ["fifo", "priority"], "default": "fifo"},
            "email": {"type": "string", "format": "email"},
            "code": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "windows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string"}}
                }
            },
            "display": {
                "type": "object",
                "properties": {
                    "theme": {"type": "string", "default": "light"},
                    "scroll": {"type": "boolean"}
                }
            },
            "empty_nested": {
                "type": "object",
                "required": ["x"],
                "properties": {"x": {"type": "string"}}
            }
        }
    }))
    .unwrap()
}

fn english(errors: &[ConfigError]) -> Vec<String> {
    errors.iter().map(|e| e.message_en.clone()).collect()
}

#[test]
fn defaults_follow_properties_recursively() {
    assert_eq!(
        schema().defaults(),
        json!({"max_queue": 50, "mode": "fifo", "display": {"theme": "light"}})
    );
}

#[test]
fn explicit_object_default_wins() {
    let value = defaults(&json!({
        "type": "object",
        "default": {"a": {"b": 1}},
        "properties": {"a": {"properties": {"b": {"default": 2}, "c": {"default": 3}}}}
    }));
    assert_eq!(value, json!({"a": {"b": 1, "c": 3}}));
    assert_eq!(defaults(&json!(true)), json!({}));
    assert_eq!(defaults(&json!({"default": 5})), json!({}));
}

#[test]
fn resolution_merges_hall_over_district_over_defaults() {
    let defaults = json!({"max_queue": 50, "display": {"theme": "light", "font": 12}, "tags": [1]});
    let district = json!({"display": {"theme": "dark"}, "tags": [2, 3]});
    let hall = json!({"max_queue": 80, "display": {"font": 14}, "tags": null});
    assert_eq!(
        resolve(&defaults, Some(&district), Some(&hall)),
        json!({"max_queue": 80, "display": {"theme": "dark", "font": 14}, "tags": null})
    );
    assert_eq!(resolve(&defaults, None, None), defaults);
}

#[test]
fn resolve_then_validate() {
    let s = schema();
    let district = json!({"hall_name": "城关镇"});
    let config = s.resolve(Some(&district), None).unwrap();
    assert_eq!(config["max_queue"], 50);
    let hall = json!({"max_queue": 500});
    let errors = s.resolve(Some(&district), Some(&hall)).unwrap_err();
    assert_eq!(errors[0].message_zh, "字段 /max_queue 的值必须不大于 200");
    assert_eq!(errors[0].message_en, "field /max_queue must be at most 200");
}

#[test]
fn messages_name_the_field() {
    let config = json!({
        "hall_name": "x",
        "max_queue": "many",
        "mode": "random",
        "email": "not-an-email",
        "code": "abc",
        "windows": [{"name": "A"}, {}],
        "extra": 1,
        "a/b": 2,
    });
    let errors = schema().validate(&config).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "/a~1b",
            "/code",
            "/email",
            "/extra",
            "/hall_name",
            "/max_queue",
            "/mode",
            "/windows/1/name"
        ]
    );
    assert_eq!(
        english(&errors),
        vec![
            "field /a~1b is not allowed",
            "field /code must match the pattern ^[A-Z]{2}$",
            "field /email must be a valid email",
            "field /extra is not allowed",
            "field /hall_name must be at least 2 characters",
            "field /max_queue must be of type integer",
            "field /mode must be one of \"fifo\", \"priority\"",
            "field /windows/1/name is required",
        ]
    );
    assert_eq!(errors[5].message_zh, "字段 /max_queue 的类型必须是整数");
    assert_eq!(errors[7].message_zh, "缺少必填字段 /windows/1/name");
}

#[test]
fn root_errors_are_shown_as_slash() {
    let errors = schema().validate(&json!([])).unwrap_err();
    assert_eq!(errors[0].path, "");
    assert_eq!(errors[0].message_en, "field / must be of type object");
}

#[test]
fn other_keywords_fall_back_to_the_library() {
    let s = ConfigSchema::new(&json!({"type": "object", "properties": {
        "x": {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    }}))
    .unwrap();
    let errors = s.validate(&json!({"x": 1.5})).unwrap_err();
    assert!(
        errors[0].message_en.starts_with("field /x is invalid: "),
        "{errors:?}"
    );
    assert!(
        !errors[0].message_en.contains("1.5"),
        "value is masked: {errors:?}"
    );
}

#[test]
fn invalid_schemas_are_rejected() {
    let error = ConfigSchema::new(&json!({"type": "strin"})).unwrap_err();
    assert!(
        error.to_string().starts_with("invalid JSON Schema"),
        "{error}"
    );
    assert!(ConfigSchema::new(&json!({"format": "no-such-format"})).is_err());
    assert!(ConfigSchema::new(&json!({"$ref": "https://example.com/s.json"})).is_err());
    assert!(ConfigSchema::new(&json!({"minimum": "one"})).is_err());
}

#[test]
fn adversarial_schemas_do_not_panic() {
    let schemas = [
        json!({"$ref": "#/definitions/missing"}),
        json!({"$ref": "#", "properties": {"a": {"$ref": "#"}}}),
        json!({"type": "object", "properties": {"a": {"type": "string", "pattern": "(a+)+$"}}}),
        json!({"type": "object", "properties": {"a": {"pattern": "(?<=x"}}}),
        json!({"multipleOf": 0}),
        json!({"multipleOf": 1e-300}),
        json!({"type": "object", "properties": {"a": {"format": "regex"}}}),
        json!({"type": "object", "properties": {"a": {"format": "date-time"}, "b": {"format": "ipv4"}}}),
        json!({"$schema": "http://example.com/unknown"}),
        json!({"$schema": "http://json-schema.org/draft-04/schema#", "exclusiveMinimum": true, "minimum": 1}),
        json!({"additionalItems": false, "items": [{"type": "string"}]}),
        json!({"dependentRequired": {"a": ["b"]}, "unevaluatedProperties": false}),
        json!({"contentEncoding": "base64", "contentMediaType": "application/json"}),
    ];
    let instances = [
        json!({"a": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"}),
        json!({"a": "[", "b": "999.1.1.1"}),
        json!(["x", 1, 2]),
        json!(0.5),
        json!("not base64 %%"),
        json!({"a": {"a": {"a": 1}}}),
    ];
    for schema in schemas {
        if let Ok(compiled) = ConfigSchema::new(&schema) {
            for instance in &instances {
                let _ = compiled.validate(instance);
            }
        }
        let _ = defaults(&schema);
    }
}
