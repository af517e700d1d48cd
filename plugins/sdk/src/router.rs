//! A tiny request router: method + path pattern with `{param}` segments to a
//! handler, answering 404 and 405 in the platform's error shape.

use crate::http::{IntoResponse, Request, Response};
use crate::types::Method;

type Handler = Box<dyn Fn(Request) -> Response>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

struct Route {
    method: Method,
    pattern: Vec<Segment>,
    handler: Handler,
}

/// Routes requests to handlers by method and path.
///
/// ```
/// use bantong_sdk::{HandlerResult, Request, Response, Router};
///
/// fn show(req: Request) -> HandlerResult {
///     let id = req.param("id").unwrap_or_default();
///     Ok(Response::ok(&serde_json::json!({ "id": id })))
/// }
///
/// let router = Router::new()
///     .get("/visits", |_req| Response::ok(&serde_json::json!([])))
///     .get("/visits/{id}", show);
/// # let _ = router;
/// ```
///
/// Patterns are `/`-separated; a segment `{name}` captures one path segment
/// (percent-decoded) for [`Request::param`]. Empty segments are ignored, so
/// `/visits/` matches `/visits`. When several patterns match, the one with a
/// literal segment earliest wins (`/visits/stats` beats `/visits/{id}`), then
/// the first registered. A path that matches some pattern but not with this
/// method answers `405 method_not_allowed` with an `allow` header; a path
/// that matches none answers `404 not_found`.
#[derive(Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl core::fmt::Debug for Router {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut list = f.debug_list();
        for r in &self.routes {
            list.entry(&format_args!("{} {}", r.method, render(&r.pattern)));
        }
        list.finish()
    }
}

impl Router {
    /// An empty router: everything answers 404.
    pub fn new() -> Self {
        Router::default()
    }

    /// Adds a route for any method.
    pub fn route<H, R>(mut self, method: Method, pattern: &str, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.routes.push(Route {
            method,
            pattern: parse_pattern(pattern),
            handler: Box::new(move |req| handler(req).into_response()),
        });
        self
    }

    /// Adds a `GET` route.
    pub fn get<H, R>(self, pattern: &str, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.route(Method::Get, pattern, handler)
    }

    /// Adds a `POST` route.
    pub fn post<H, R>(self, pattern: &str, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.route(Method::Post, pattern, handler)
    }

    /// Adds a `PUT` route.
    pub fn put<H, R>(self, pattern: &str, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.route(Method::Put, pattern, handler)
    }

    /// Adds a `PATCH` route.
    pub fn patch<H, R>(self, pattern: &str, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.route(Method::Patch, pattern, handler)
    }

    /// Adds a `DELETE` route.
    pub fn delete<H, R>(self, pattern: &str, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.route(Method::Delete, pattern, handler)
    }

    /// Every route as `(method, pattern)`, in registration order; lets a test
    /// check that the manifest's `[[routes]]` and the router agree.
    pub fn routes(&self) -> Vec<(Method, String)> {
        self.routes
            .iter()
            .map(|r| (r.method, render(&r.pattern)))
            .collect()
    }

    /// Dispatches one request.
    pub fn handle(&self, mut req: Request) -> Response {
        let path = req.path.split(['?', '#']).next().unwrap_or("");
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();

        let mut best: Option<(&Route, Vec<(String, String)>)> = None;
        let mut allowed: Vec<Method> = Vec::new();
        for route in &self.routes {
            let Some(params) = match_pattern(&route.pattern, &segments) else {
                continue;
            };
            if !allowed.contains(&route.method) {
                allowed.push(route.method);
            }
            if route.method != req.method {
                continue;
            }
            let better = match &best {
                None => true,
                Some((current, _)) => more_specific(&route.pattern, &current.pattern),
            };
            if better {
                best = Some((route, params));
            }
        }

        if let Some((route, params)) = best {
            req.set_params(params);
            return (route.handler)(req);
        }
        if allowed.is_empty() {
            return Response::error(
                404,
                "not_found",
                format!("no route for {} {}", req.method, req.path),
            );
        }
        allowed.sort();
        let allow = allowed
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        Response::error(
            405,
            "method_not_allowed",
            format!(
                "{} is not allowed on {}; allowed: {allow}",
                req.method, req.path
            ),
        )
        .with_header("allow", allow)
    }
}

fn parse_pattern(pattern: &str) -> Vec<Segment> {
    pattern
        .split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) if !name.is_empty() => Segment::Param(name.to_owned()),
                _ => Segment::Literal(s.to_owned()),
            },
        )
        .collect()
}

fn render(pattern: &[Segment]) -> String {
    if pattern.is_empty() {
        return String::from("/");
    }
    pattern
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => format!("/{l}"),
            Segment::Param(p) => format!("/{{{p}}}"),
        })
        .collect()
}

fn match_pattern(pattern: &[Segment], path: &[&str]) -> Option<Vec<(String, String)>> {
    if pattern.len() != path.len() {
        return None;
    }
    let mut params = Vec::new();
    for (seg, actual) in pattern.iter().zip(path) {
        match seg {
            Segment::Literal(l) if l == actual => {}
            Segment::Literal(_) => return None,
            Segment::Param(name) => params.push((name.clone(), percent_decode(actual))),
        }
    }
    Some(params)
}

/// `a` beats `b` when, at the first segment where they differ in kind, `a`
/// has the literal.
fn more_specific(a: &[Segment], b: &[Segment]) -> bool {
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            (Segment::Literal(_), Segment::Param(_)) => return true,
            (Segment::Param(_), Segment::Literal(_)) => return false,
            _ => {}
        }
    }
    false
}

/// Decodes `%XX` escapes; a segment that does not decode to UTF-8 is kept as is.
fn percent_decode(raw: &str) -> String {
    if !raw.contains('%') {
        return raw.to_owned();
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes.get(i), bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(b'%'), Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_owned())
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::http::HandlerResult;

    fn echo_params(req: Request) -> Response {
        let params: Vec<_> = req.params().iter().map(|(k, v)| json!([k, v])).collect();
        Response::ok(&json!({ "route": "params", "params": params }))
    }

    fn named(name: &'static str) -> impl Fn(Request) -> Response {
        move |_req| Response::ok(&json!({ "route": name }))
    }

    fn router() -> Router {
        Router::new()
            .get("/visits", named("list"))
            .post("/visits", named("create"))
            .get("/visits/{id}", echo_params)
            .get("/visits/stats", named("stats"))
            .patch("/visits/{id}/leave", echo_params)
            .get("/", named("root"))
    }

    fn call(method: Method, path: &str) -> (u16, Value, Response) {
        let resp = router().handle(Request::new(method, path));
        let body = resp.body_json::<Value>().unwrap_or(Value::Null);
        (resp.status, body, resp)
    }

    #[test]
    fn literal_routes_dispatch_by_method() {
        assert_eq!(call(Method::Get, "/visits").1["route"], "list");
        assert_eq!(call(Method::Post, "/visits").1["route"], "create");
        assert_eq!(call(Method::Get, "/visits/").1["route"], "list");
        assert_eq!(call(Method::Get, "/").1["route"], "root");
    }

    #[test]
    fn path_params_are_captured_and_decoded() {
        let (status, body, _) = call(Method::Get, "/visits/v-42");
        assert_eq!(status, 200);
        assert_eq!(body["params"], json!([["id", "v-42"]]));

        let (_, body, _) = call(Method::Patch, "/visits/%E8%AE%BF%E5%AE%A2%201/leave");
        assert_eq!(body["params"], json!([["id", "访客 1"]]));

        let (_, body, _) = call(Method::Get, "/visits/100%25");
        assert_eq!(body["params"], json!([["id", "100%"]]));
        let (_, body, _) = call(Method::Get, "/visits/bad%zz");
        assert_eq!(body["params"], json!([["id", "bad%zz"]]));
    }

    #[test]
    fn literal_beats_param_regardless_of_order() {
        assert_eq!(call(Method::Get, "/visits/stats").1["route"], "stats");
        let reversed = Router::new()
            .get("/a/b", named("literal"))
            .get("/a/{x}", named("param"));
        let resp = reversed.handle(Request::new(Method::Get, "/a/b"));
        assert_eq!(resp.body_json::<Value>().unwrap()["route"], "literal");
    }

    #[test]
    fn method_mismatch_is_405_with_allow_header() {
        let (status, body, resp) = call(Method::Delete, "/visits");
        assert_eq!(status, 405);
        assert_eq!(body["error"]["code"], "method_not_allowed");
        assert_eq!(resp.header("allow"), Some("GET, POST"));

        let (status, _, resp) = call(Method::Get, "/visits/v1/leave");
        assert_eq!(status, 405);
        assert_eq!(resp.header("Allow"), Some("PATCH"));
    }

    #[test]
    fn unknown_path_is_404_in_error_shape() {
        for path in ["/nope", "/visits/a/b/c", "/visits/v1/leave/now"] {
            let (status, body, resp) = call(Method::Get, path);
            assert_eq!(status, 404, "{path}");
            assert_eq!(body["error"]["code"], "not_found");
            assert!(body["error"]["message"].as_str().unwrap().contains(path));
            assert_eq!(
                resp.header("content-type"),
                Some(crate::http::JSON_CONTENT_TYPE)
            );
        }
        let empty = Router::new().handle(Request::new(Method::Get, "/"));
        assert_eq!(empty.status, 404);
    }

    #[test]
    fn handlers_may_return_results_and_use_question_mark() {
        #[derive(serde::Deserialize)]
        struct Input {
            n: u32,
        }
        fn double(req: Request) -> HandlerResult {
            let input: Input = req.json()?;
            Ok(Response::ok(&json!({ "n": input.n * 2 })))
        }
        let r = Router::new().post("/double", double);

        let ok = r.handle(Request::new(Method::Post, "/double").with_json(&json!({ "n": 21 })));
        assert_eq!(ok.status, 200);
        assert_eq!(ok.body_json::<Value>().unwrap()["n"], 42);

        let bad = r.handle(Request::new(Method::Post, "/double").with_body("{\"n\": "));
        assert_eq!(bad.status, 400);
        let wrong = r.handle(Request::new(Method::Post, "/double").with_body("{\"n\": \"x\"}"));
        assert_eq!(wrong.status, 422);
    }

    #[test]
    fn debug_lists_routes() {
        let shown = format!("{:?}", router());
        assert!(shown.contains("GET /visits/{id}"), "{shown}");
        assert!(shown.contains("GET /"), "{shown}");
        let routes = router().routes();
        assert_eq!(routes[2], (Method::Get, String::from("/visits/{id}")));
        assert_eq!(routes[5], (Method::Get, String::from("/")));
    }
}
