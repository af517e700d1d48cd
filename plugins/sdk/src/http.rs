//! HTTP requests and responses as a plugin sees them, with JSON helpers that
//! answer in the host's error shape `{"error":{"code":…,"message":…}}`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::bantong::platform::types as wit;

pub use crate::bindings::bantong::platform::types::Response;
use crate::bindings::bantong::platform::types::{Caller, Method};

/// Content type of every JSON answer.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// An HTTP request routed to the plugin (under `/api/plugins/{id}/…`).
///
/// The host has already authenticated the caller and checked the hall against
/// the caller's scope. Path parameters are filled in by the [`Router`](crate::Router).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Unique id of this request; also in the `x-request-id` answer header.
    pub request_id: String,
    pub method: Method,
    /// The path below the plugin's prefix, always starting with `/`.
    pub path: String,
    /// Decoded query-string pairs in their original order.
    pub query: Vec<(String, String)>,
    /// `content-type`, `accept` and `accept-language` only.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// `None` only on routes the manifest marks as public.
    pub caller: Option<Caller>,
    /// The hall this request acts for, already checked against the caller's scope.
    pub hall: Option<String>,
    params: Vec<(String, String)>,
}

impl Request {
    /// A request with no body, caller or hall; for tests and tools.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Request {
            request_id: String::from("local"),
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            caller: None,
            hall: None,
            params: Vec::new(),
        }
    }

    /// Adds a query-string pair.
    pub fn with_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a header (names are matched case-insensitively).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the raw body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and the JSON content type.
    pub fn with_json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_default();
        self.with_header("content-type", JSON_CONTENT_TYPE)
            .with_body(body)
    }

    /// Sets the authenticated caller.
    pub fn with_caller(mut self, caller: Caller) -> Self {
        self.caller = Some(caller);
        self
    }

    /// Sets the hall the request acts for.
    pub fn with_hall(mut self, hall: impl Into<String>) -> Self {
        self.hall = Some(hall.into());
        self
    }

    /// A path parameter captured by the router, e.g. `id` for `/visits/{id}`.
    pub fn param(&self, name: &str) -> Option<&str> {
        lookup(&self.params, name)
    }

    /// All path parameters, in pattern order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    pub(crate) fn set_params(&mut self, params: Vec<(String, String)>) {
        self.params = params;
    }

    /// The first value of a query-string parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        lookup(&self.query, name)
    }

    /// A query-string parameter parsed with [`FromStr`](core::str::FromStr):
    /// `Ok(None)` when absent or empty, a 400 answer when it does not parse.
    pub fn query_parse<T: core::str::FromStr>(&self, name: &str) -> Result<Option<T>, Response> {
        match self.query_param(name) {
            None | Some("") => Ok(None),
            Some(raw) => raw.parse().map(Some).map_err(|_| {
                Response::error(
                    400,
                    "bad_request",
                    format!("query parameter `{name}` has an invalid value `{raw}`"),
                )
            }),
        }
    }

    /// A request header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The authenticated caller; `None` only on public routes.
    pub fn caller(&self) -> Option<&Caller> {
        self.caller.as_ref()
    }

    /// The authenticated caller, or a 401 answer on a public route.
    pub fn require_caller(&self) -> Result<&Caller, Response> {
        self.caller
            .as_ref()
            .ok_or_else(|| Response::error(401, "unauthenticated", "请先登录 / please log in"))
    }

    /// The hall this request acts for, if any.
    pub fn hall(&self) -> Option<&str> {
        self.hall.as_deref()
    }

    /// The body as UTF-8 text, or a 400 answer.
    pub fn text(&self) -> Result<&str, Response> {
        core::str::from_utf8(&self.body).map_err(|e| {
            Response::error(
                400,
                "bad_request",
                format!("request body is not UTF-8: {e}"),
            )
        })
    }

    /// The body parsed as JSON into `T`.
    ///
    /// Answers `400 bad_request` when the body is empty or not well-formed
    /// JSON, and `422 validation_failed` when it is JSON of the wrong shape
    /// (missing field, wrong type). Both messages name the problem and where
    /// it is (line and column). The content type is not checked, so
    /// `curl -d '{…}'` works.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Response> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(Response::error(
                400,
                "bad_request",
                "request body is empty; expected JSON",
            ));
        }
        serde_json::from_slice(&self.body).map_err(json_error_response)
    }
}

/// Maps a body parse failure to 400 (not JSON) or 422 (JSON of the wrong shape).
fn json_error_response(e: serde_json::Error) -> Response {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => Response::error(
            422,
            "validation_failed",
            format!("invalid request body: {e}"),
        ),
        Category::Syntax | Category::Eof | Category::Io => Response::error(
            400,
            "bad_request",
            format!("malformed JSON in request body: {e}"),
        ),
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl From<wit::Request> for Request {
    fn from(r: wit::Request) -> Self {
        Request {
            request_id: r.request_id,
            method: r.method,
            path: r.path,
            query: r.query,
            headers: r.headers,
            body: r.body,
            caller: r.caller,
            hall: r.hall,
            params: Vec::new(),
        }
    }
}

impl Response {
    /// An answer with a status and no body.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// `status` with `value` serialised as JSON; a value that does not
    /// serialise becomes a 500 error answer.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Response {
                status,
                headers: vec![(
                    String::from("content-type"),
                    String::from(JSON_CONTENT_TYPE),
                )],
                body,
            },
            Err(e) => Response::error(
                500,
                "internal",
                format!("answer does not serialise as JSON: {e}"),
            ),
        }
    }

    /// 200 with a JSON body.
    pub fn ok<T: Serialize + ?Sized>(value: &T) -> Self {
        Response::json(200, value)
    }

    /// 201 with a JSON body.
    pub fn created<T: Serialize + ?Sized>(value: &T) -> Self {
        Response::json(201, value)
    }

    /// 204 with no body.
    pub fn no_content() -> Self {
        Response::new(204)
    }

    /// The platform's error shape: `{"error":{"code":…,"message":…}}`.
    ///
    /// `code` is stable and snake_case (`not_found`, `validation_failed`, …);
    /// `message` is safe to show to the user.
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        #[derive(Serialize)]
        struct Body<'a> {
            error: Detail<'a>,
        }
        #[derive(Serialize)]
        struct Detail<'a> {
            code: &'a str,
            message: String,
        }
        let body = Body {
            error: Detail {
                code,
                message: message.into(),
            },
        };
        Response {
            status,
            headers: vec![(
                String::from("content-type"),
                String::from(JSON_CONTENT_TYPE),
            )],
            body: serde_json::to_vec(&body).unwrap_or_default(),
        }
    }

    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Response::error(400, "bad_request", message)
    }

    /// 403 `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Response::error(403, "forbidden", message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Response::error(404, "not_found", message)
    }

    /// 409 `conflict`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Response::error(409, "conflict", message)
    }

    /// 422 `validation_failed`.
    pub fn validation(message: impl Into<String>) -> Self {
        Response::error(422, "validation_failed", message)
    }

    /// Plain UTF-8 text.
    pub fn text(status: u16, text: impl Into<String>) -> Self {
        Response::bytes(
            status,
            "text/plain; charset=utf-8",
            text.into().into_bytes(),
        )
    }

    /// Raw bytes with a content type.
    pub fn bytes(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers: vec![(String::from("content-type"), String::from(content_type))],
            body: body.into(),
        }
    }

    /// Adds (or replaces) a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// A header of this answer, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON; for tests.
    pub fn body_json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// What a route handler may return: a [`Response`], or a
/// `Result<Response, E>` whose error converts into one (so `?` works on
/// [`Request::json`] and on host calls).
pub trait IntoResponse {
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl<E: Into<Response>> IntoResponse for Result<Response, E> {
    fn into_response(self) -> Response {
        self.unwrap_or_else(Into::into)
    }
}

/// The usual handler result: both arms are answers.
pub type HandlerResult = Result<Response, Response>;

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Visit {
        name: String,
        age: u8,
    }

    fn post(body: &str) -> Request {
        Request::new(Method::Post, "/visits").with_body(body)
    }

    fn error_of(resp: &Response) -> (u16, String, String) {
        let v: Value = resp.body_json().unwrap();
        let e = &v["error"];
        (
            resp.status,
            e["code"].as_str().unwrap().to_owned(),
            e["message"].as_str().unwrap().to_owned(),
        )
    }

    #[test]
    fn json_body_parses() {
        let v: Visit = post(r#"{"name":"张三","age":30}"#).json().unwrap();
        assert_eq!(
            v,
            Visit {
                name: "张三".into(),
                age: 30
            }
        );
    }

    #[test]
    fn malformed_json_is_400_with_position() {
        let (status, code, message) =
            error_of(&post(r#"{"name": "张三", "#).json::<Visit>().unwrap_err());
        assert_eq!((status, code.as_str()), (400, "bad_request"));
        assert!(
            message.contains("malformed JSON") && message.contains("line 1"),
            "{message}"
        );

        let (status, _, message) = error_of(&post("not json").json::<Visit>().unwrap_err());
        assert_eq!(status, 400);
        assert!(message.contains("expected"), "{message}");
    }

    #[test]
    fn empty_body_is_400() {
        let (status, code, message) = error_of(&post("  \n").json::<Visit>().unwrap_err());
        assert_eq!((status, code.as_str()), (400, "bad_request"));
        assert!(message.contains("empty"), "{message}");
    }

    #[test]
    fn wrong_shape_is_422_naming_the_field() {
        let (status, code, message) =
            error_of(&post(r#"{"name":"张三"}"#).json::<Visit>().unwrap_err());
        assert_eq!((status, code.as_str()), (422, "validation_failed"));
        assert!(message.contains("missing field `age`"), "{message}");

        let (status, _, message) = error_of(
            &post(r#"{"name":"张三","age":"old"}"#)
                .json::<Visit>()
                .unwrap_err(),
        );
        assert_eq!(status, 422);
        assert!(message.contains("invalid type"), "{message}");
    }

    #[test]
    fn query_params_and_headers() {
        let req = Request::new(Method::Get, "/visits")
            .with_query("purpose", "咨询")
            .with_query("purpose", "second")
            .with_query("limit", "20")
            .with_query("offset", "x")
            .with_header("Accept-Language", "zh-CN");
        assert_eq!(req.query_param("purpose"), Some("咨询"));
        assert_eq!(req.query_param("missing"), None);
        assert_eq!(req.query_parse::<u32>("limit"), Ok(Some(20)));
        assert_eq!(req.query_parse::<u32>("missing"), Ok(None));
        assert_eq!(req.query_parse::<u32>("offset").unwrap_err().status, 400);
        assert_eq!(req.header("accept-language"), Some("zh-CN"));
        assert!(req.caller().is_none());
        assert_eq!(req.require_caller().unwrap_err().status, 401);
    }

    #[test]
    fn caller_serialises() {
        let c = Caller::new("u1", "wang")
            .with_role("hall-manager")
            .with_hall("h1");
        let req = Request::new(Method::Get, "/whoami")
            .with_caller(c)
            .with_hall("h1");
        let caller = req.caller().unwrap();
        assert!(
            caller.has_role("hall-manager")
                && caller.can_act_for("h1")
                && !caller.can_act_for("h2")
        );
        let v = serde_json::to_value(caller).unwrap();
        assert_eq!(
            v,
            json!({"user_id":"u1","username":"wang","roles":["hall-manager"],"halls":["h1"],"district_wide":false})
        );
        assert_eq!(req.hall(), Some("h1"));
    }

    #[test]
    fn response_helpers() {
        let ok = Response::json(201, &json!({ "a": 1 }));
        assert_eq!(ok.status, 201);
        assert_eq!(ok.header("Content-Type"), Some(JSON_CONTENT_TYPE));
        assert_eq!(ok.body_json::<Value>().unwrap(), json!({ "a": 1 }));

        let err = Response::error(404, "not_found", "没有这条记录");
        assert_eq!(
            err.body_json::<Value>().unwrap(),
            json!({"error":{"code":"not_found","message":"没有这条记录"}})
        );

        let with = Response::no_content()
            .with_header("X-Thing", "1")
            .with_header("x-thing", "2");
        assert_eq!(with.headers, vec![("x-thing".to_owned(), "2".to_owned())]);

        let text = Response::text(200, "pong");
        assert_eq!(text.body, b"pong");
    }

    #[test]
    fn host_errors_become_error_answers() {
        let resp = Response::from(crate::Error::Denied("no grant for other/notes".into()));
        let (status, code, message) = error_of(&resp);
        assert_eq!(
            (status, code.as_str(), message.as_str()),
            (403, "forbidden", "no grant for other/notes")
        );
        assert_eq!(
            Response::from(crate::Error::Conflict("v".into())).status,
            409
        );
        assert_eq!(
            Response::from(crate::Error::Invalid("v".into())).status,
            422
        );
        assert_eq!(
            Response::from(crate::Error::Unavailable("v".into())).status,
            503
        );
    }

    #[test]
    fn result_handlers_convert() {
        let r: Result<Response, crate::Error> = Err(crate::Error::NotFound("x".into()));
        assert_eq!(r.into_response().status, 404);
        let r: HandlerResult = Ok(Response::new(202));
        assert_eq!(r.into_response().status, 202);
    }
}
