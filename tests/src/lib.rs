//! Shared helpers of the integration and end-to-end tests: a fresh
//! installation per test on SQLite or PostgreSQL, the fixture plugins built
//! by `cargo xtask wasm`, and a small HTTP client over the router.

pub mod app;
pub mod db;
pub mod edge;
pub mod firmware;
pub mod office;
pub mod supervision;

pub use app::{TestApp, TestHost};
pub use db::TestDb;

use serde_json::Value;

/// Paths where two JSON values differ.
pub fn json_diff(path: &str, a: &Value, b: &Value) -> Vec<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .flat_map(|k| {
                    let null = Value::Null;
                    json_diff(
                        &format!("{path}.{k}"),
                        x.get(k).unwrap_or(&null),
                        y.get(k).unwrap_or(&null),
                    )
                })
                .collect()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .flat_map(|(i, (a, b))| json_diff(&format!("{path}[{i}]"), a, b))
            .collect(),
        // Equal up to the last digit JSON text may round (the plugin's
        // figures cross the HTTP body as text); numerators and
        // denominators are integers and must be equal.
        (Value::Number(x), Value::Number(y))
            if x.as_f64()
                .zip(y.as_f64())
                .is_some_and(|(x, y)| (x - y).abs() <= 1e-12 * x.abs().max(1.0)) =>
        {
            Vec::new()
        }
        _ if a == b => Vec::new(),
        _ => vec![format!("{path}: {a} vs {b}")],
    }
}
