//! Turning an HTTP request aimed at a plugin into the plugin's view of it:
//! method, normalised path, decoded query, the few forwarded headers, the
//! matched route and its parameters. Pure and bounded, so it is fuzzed.

use crate::route::{Method, Route, RouteTable};

/// Request headers a plugin may see; never `cookie` or `authorization`.
pub const FORWARDED_HEADERS: [&str; 3] = ["content-type", "accept", "accept-language"];

/// Longest path, query string and header value accepted.
pub const MAX_PATH: usize = 2048;
pub const MAX_QUERY: usize = 8192;
pub const MAX_HEADER_VALUE: usize = 1024;

/// Why a request cannot reach a plugin. Each maps to a 4xx status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("method {0} is not supported")]
    UnsupportedMethod(String),
    #[error("malformed path: {0}")]
    BadPath(String),
    #[error("malformed query string: {0}")]
    BadQuery(String),
    #[error("no route {0}")]
    NoRoute(String),
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed {
        method: String,
        path: String,
        allowed: Vec<Method>,
    },
    #[error("the body of {len} bytes exceeds the limit of {limit} bytes")]
    BodyTooLarge { len: usize, limit: usize },
}

/// The plugin's view of a request (before the caller and hall are added).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginRequest<'t> {
    pub method: Method,
    /// Decoded, normalised, starting with `/`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub route: &'t Route,
    pub params: Vec<(String, String)>,
}

/// Parses an HTTP method name.
pub fn parse_method(m: &str) -> Result<Method, RequestError> {
    Ok(match m {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        other => {
            return Err(RequestError::UnsupportedMethod(
                other.chars().take(16).collect(),
            ));
        }
    })
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `s` (and `+` as space when `form`), requiring UTF-8.
pub fn percent_decode(s: &str, form: bool) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex);
                let lo = bytes.get(i + 2).copied().and_then(hex);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(format!("bad escape at byte {i}")),
                }
                i += 3;
            }
            b'+' if form => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "not UTF-8 after decoding".to_owned())
}

/// Decodes and normalises a path below the plugin prefix: no empty, `.` or
/// `..` segments, no control characters, no encoded `/`.
pub fn normalise_path(raw: &str) -> Result<String, RequestError> {
    if raw.len() > MAX_PATH {
        return Err(RequestError::BadPath(format!(
            "longer than {MAX_PATH} bytes"
        )));
    }
    let mut out = String::with_capacity(raw.len() + 1);
    for seg in raw.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode(seg, false).map_err(RequestError::BadPath)?;
        if decoded == "."
            || decoded == ".."
            || decoded.contains('/')
            || decoded.chars().any(char::is_control)
        {
            return Err(RequestError::BadPath(format!(
                "segment {decoded:?} is not allowed"
            )));
        }
        out.push('/');
        out.push_str(&decoded);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Decodes `a=1&b=%E4%BD%A0` into pairs in order.
pub fn parse_query(query: &str) -> Result<Vec<(String, String)>, RequestError> {
    if query.len() > MAX_QUERY {
        return Err(RequestError::BadQuery(format!(
            "longer than {MAX_QUERY} bytes"
        )));
    }
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((
                percent_decode(k, true).map_err(RequestError::BadQuery)?,
                percent_decode(v, true).map_err(RequestError::BadQuery)?,
            ))
        })
        .collect()
}

/// Builds the plugin's request: `target` is the path and query below
/// `/api/plugins/{id}` (e.g. `/notes/7?x=1`), `headers` the raw request
/// headers (lower-case names), `body_len` checked against `max_body`.
pub fn to_plugin_request<'t>(
    routes: &'t RouteTable,
    method: &str,
    target: &str,
    headers: &[(&str, &[u8])],
    body_len: usize,
    max_body: usize,
) -> Result<PluginRequest<'t>, RequestError> {
    let method = parse_method(method)?;
    let (raw_path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let path = normalise_path(raw_path)?;
    let query = parse_query(raw_query)?;
    let Some((route, params)) = routes.r#match(method, &path) else {
        let allowed = routes.allowed_methods(&path);
        if allowed.is_empty() {
            return Err(RequestError::NoRoute(path));
        }
        return Err(RequestError::MethodNotAllowed {
            method: method.as_str().to_owned(),
            path,
            allowed,
        });
    };
    if body_len > max_body {
        return Err(RequestError::BodyTooLarge {
            len: body_len,
            limit: max_body,
        });
    }
    let headers = FORWARDED_HEADERS
        .iter()
        .filter_map(|name| {
            let (_, value) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
            let value = std::str::from_utf8(value).ok()?;
            (value.len() <= MAX_HEADER_VALUE).then(|| ((*name).to_owned(), value.to_owned()))
        })
        .collect();
    Ok(PluginRequest {
        method,
        path,
        query,
        headers,
        route,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        let m = crate::Manifest::parse(
            r#"
id = "demo"
version = "0.1.0"
wit = "0.1.0"
name = { zh = "演示", en = "Demo" }
[[routes]]
method = "GET"
path = "/notes/{id}"
[[routes]]
method = "POST"
path = "/notes"
"#,
        )
        .unwrap();
        m.route_table()
    }

    #[test]
    fn decodes_path_query_and_params() {
        let t = table();
        let r = to_plugin_request(
            &t,
            "GET",
            "/notes/%E4%BD%A0?q=a+b&x=%2F",
            &[("Content-Type", b"application/json")],
            0,
            10,
        )
        .unwrap();
        assert_eq!(r.path, "/notes/你");
        assert_eq!(r.params, vec![("id".to_owned(), "你".to_owned())]);
        assert_eq!(
            r.query,
            vec![
                ("q".to_owned(), "a b".to_owned()),
                ("x".to_owned(), "/".to_owned())
            ]
        );
        assert_eq!(
            r.headers,
            vec![("content-type".to_owned(), "application/json".to_owned())]
        );
    }

    #[test]
    fn refuses_traversal_bad_escapes_and_unknown_routes() {
        let t = table();
        assert!(matches!(
            to_plugin_request(&t, "GET", "/notes/..", &[], 0, 10),
            Err(RequestError::BadPath(_))
        ));
        assert!(matches!(
            to_plugin_request(&t, "GET", "/notes/%2F", &[], 0, 10),
            Err(RequestError::BadPath(_))
        ));
        assert!(matches!(
            to_plugin_request(&t, "GET", "/notes/%ZZ", &[], 0, 10),
            Err(RequestError::BadPath(_))
        ));
        assert!(matches!(
            to_plugin_request(&t, "GET", "/x?a=%", &[], 0, 10),
            Err(RequestError::BadQuery(_))
        ));
        assert!(matches!(
            to_plugin_request(&t, "GET", "/nope", &[], 0, 10),
            Err(RequestError::NoRoute(_))
        ));
        assert!(matches!(
            to_plugin_request(&t, "DELETE", "/notes", &[], 0, 10),
            Err(RequestError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            to_plugin_request(&t, "TRACE", "/notes", &[], 0, 10),
            Err(RequestError::UnsupportedMethod(_))
        ));
        assert!(matches!(
            to_plugin_request(&t, "POST", "/notes", &[], 11, 10),
            Err(RequestError::BodyTooLarge { .. })
        ));
    }

    #[test]
    fn never_forwards_credentials() {
        let t = table();
        let h: &[(&str, &[u8])] = &[
            ("cookie", b"bt_session=x"),
            ("authorization", b"Bearer y"),
            ("accept", b"*/*"),
        ];
        let r = to_plugin_request(&t, "POST", "/notes", h, 0, 10).unwrap();
        assert_eq!(r.headers, vec![("accept".to_owned(), "*/*".to_owned())]);
    }
}
