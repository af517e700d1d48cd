//! Fuzzes turning an HTTP request into a plugin request: arbitrary method,
//! target and header bytes must give a clear error or a request whose path
//! is normalised (no `..`, no empty segments) and whose headers are only the
//! forwarded ones.

#![no_main]

use std::sync::OnceLock;

use bantong_manifest::{FORWARDED_HEADERS, Manifest, RouteTable, to_plugin_request};
use libfuzzer_sys::fuzz_target;

fn table() -> &'static RouteTable {
    static TABLE: OnceLock<RouteTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let m = Manifest::parse(
            r#"
id = "fuzz"
version = "0.1.0"
wit = "0.1.0"
name = { zh = "模糊测试", en = "Fuzz" }
[[routes]]
method = "GET"
path = "/notes/{id}"
[[routes]]
method = "GET"
path = "/notes/export"
[[routes]]
method = "POST"
path = "/notes"
[[routes]]
method = "PATCH"
path = "/a/{x}/b/{y}"
"#,
        )
        .expect("fuzz manifest");
        m.route_table()
    })
}

fuzz_target!(|data: &[u8]| {
    // Layout: method \n target \n header-name \n header-value \n rest(len)
    let mut parts = data.splitn(5, |b| *b == b'\n');
    let method = std::str::from_utf8(parts.next().unwrap_or_default()).unwrap_or("GET");
    let target = std::str::from_utf8(parts.next().unwrap_or_default()).unwrap_or("/");
    let name = std::str::from_utf8(parts.next().unwrap_or_default()).unwrap_or("accept");
    let value = parts.next().unwrap_or_default();
    let body_len = parts.next().map_or(0, <[u8]>::len);
    let headers = [(name, value)];
    if let Ok(req) = to_plugin_request(table(), method, target, &headers, body_len, 64) {
        assert!(req.path.starts_with('/'));
        assert!(!req.path.split('/').any(|s| s == ".." || s == "."));
        assert!(req.path == "/" || !req.path.contains("//"));
        assert!(body_len <= 64);
        for (k, _) in &req.headers {
            assert!(FORWARDED_HEADERS.contains(&k.as_str()));
        }
        for (_, v) in &req.params {
            assert!(!v.contains('/'));
        }
    }
});
