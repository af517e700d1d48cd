//! Chinese and English messages for config validation errors, naming the field.

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use crate::config::ConfigError;

/// The error(s) one jsonschema error stands for: one per unexpected property
/// for `additionalProperties`, one otherwise.
pub(crate) fn describe(error: &ValidationError<'_>) -> Vec<ConfigError> {
    let path = error.instance_path.as_str().to_owned();
    let field = shown(&path);
    let one = |zh: String, en: String| {
        vec![ConfigError {
            path: path.clone(),
            message_zh: zh,
            message_en: en,
        }]
    };
    match &error.kind {
        ValidationErrorKind::Type { kind } => {
            let (zh, en) = type_names(kind);
            one(
                format!("字段 {field} 的类型必须是{zh}"),
                format!("field {field} must be of type {en}"),
            )
        }
        ValidationErrorKind::Required { property } => {
            let child = child_path(&path, property);
            vec![ConfigError {
                message_zh: format!("缺少必填字段 {child}"),
                message_en: format!("field {child} is required"),
                path: child,
            }]
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|name| {
                let child = child_path(&path, &Value::String(name.clone()));
                ConfigError {
                    message_zh: format!("不允许的字段 {child}"),
                    message_en: format!("field {child} is not allowed"),
                    path: child,
                }
            })
            .collect(),
        ValidationErrorKind::Minimum { limit } => one(
            format!("字段 {field} 的值必须不小于 {limit}"),
            format!("field {field} must be at least {limit}"),
        ),
        ValidationErrorKind::Maximum { limit } => one(
            format!("字段 {field} 的值必须不大于 {limit}"),
            format!("field {field} must be at most {limit}"),
        ),
        ValidationErrorKind::ExclusiveMinimum { limit } => one(
            format!("字段 {field} 的值必须大于 {limit}"),
            format!("field {field} must be greater than {limit}"),
        ),
        ValidationErrorKind::ExclusiveMaximum { limit } => one(
            format!("字段 {field} 的值必须小于 {limit}"),
            format!("field {field} must be less than {limit}"),
        ),
        ValidationErrorKind::MinLength { limit } => one(
            format!("字段 {field} 的长度必须至少为 {limit} 个字符"),
            format!(
                "field {field} must be at least {limit} {}",
                plural(*limit, "character")
            ),
        ),
        ValidationErrorKind::MaxLength { limit } => one(
            format!("字段 {field} 的长度不能超过 {limit} 个字符"),
            format!(
                "field {field} must be at most {limit} {}",
                plural(*limit, "character")
            ),
        ),
        ValidationErrorKind::Pattern { pattern } => one(
            format!("字段 {field} 的格式不正确，必须匹配 {pattern}"),
            format!("field {field} must match the pattern {pattern}"),
        ),
        ValidationErrorKind::Enum { options } => {
            let list = options_list(options);
            one(
                format!("字段 {field} 的值必须是以下之一：{list}"),
                format!("field {field} must be one of {list}"),
            )
        }
        ValidationErrorKind::Constant { expected_value } => one(
            format!("字段 {field} 的值必须是 {expected_value}"),
            format!("field {field} must be {expected_value}"),
        ),
        ValidationErrorKind::Format { format } => one(
            format!("字段 {field} 不是有效的 {format} 格式"),
            format!("field {field} must be a valid {format}"),
        ),
        ValidationErrorKind::MinItems { limit } => one(
            format!("字段 {field} 至少需要 {limit} 项"),
            format!(
                "field {field} must have at least {limit} {}",
                plural(*limit, "item")
            ),
        ),
        ValidationErrorKind::MaxItems { limit } => one(
            format!("字段 {field} 最多只能有 {limit} 项"),
            format!(
                "field {field} must have at most {limit} {}",
                plural(*limit, "item")
            ),
        ),
        ValidationErrorKind::UniqueItems => one(
            format!("字段 {field} 中的项不能重复"),
            format!("field {field} must not contain duplicate items"),
        ),
        ValidationErrorKind::MultipleOf { multiple_of } => one(
            format!("字段 {field} 的值必须是 {multiple_of} 的倍数"),
            format!("field {field} must be a multiple of {multiple_of}"),
        ),
        _ => {
            // The library's message, with the offending value masked: config
            // may hold personal data.
            let text = error.masked_with("the value").to_string();
            one(
                format!("字段 {field} 无效：{text}"),
                format!("field {field} is invalid: {text}"),
            )
        }
    }
}

/// The pointer as shown in messages: `/` for the whole configuration.
fn shown(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}

/// `path` extended by one property, escaped as JSON pointer (`~0`, `~1`).
fn child_path(path: &str, property: &Value) -> String {
    let name = match property {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!("{path}/{}", name.replace('~', "~0").replace('/', "~1"))
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

fn options_list(options: &Value) -> String {
    match options {
        Value::Array(items) => {
            let shown: Vec<String> = items.iter().map(Value::to_string).collect();
            shown.join(", ")
        }
        other => other.to_string(),
    }
}

fn type_name(name: &str) -> (&'static str, &'static str) {
    match name {
        "array" => ("数组", "array"),
        "boolean" => ("布尔值", "boolean"),
        "integer" => ("整数", "integer"),
        "null" => ("空值", "null"),
        "number" => ("数字", "number"),
        "object" => ("对象", "object"),
        _ => ("字符串", "string"),
    }
}

fn type_names(kind: &TypeKind) -> (String, String) {
    let names: Vec<String> = match kind {
        TypeKind::Single(t) => vec![t.to_string()],
        TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
    };
    let pairs: Vec<(&str, &str)> = names.iter().map(|n| type_name(n)).collect();
    let zh: Vec<&str> = pairs.iter().map(|p| p.0).collect();
    let en: Vec<&str> = pairs.iter().map(|p| p.1).collect();
    (zh.join("或"), en.join(" or "))
}
