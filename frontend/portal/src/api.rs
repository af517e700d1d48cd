//! The portal reads everything through the host's own JSON API, as the
//! logged-in user: the same routes, checks and hall scoping as any other
//! client. Rendered on the server, a request goes straight into the host's
//! router in the same process, carrying the browser's cookie; in the
//! browser it is a `fetch` to the same path.

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A failed API call: the host's `{"error": {"code", "message"}}`, or a
/// transport failure (`status` 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Per-field problems (`error.details`), e.g. of a config or form.
    #[serde(default)]
    pub details: Vec<FieldProblem>,
}

/// One field's problem: a JSON pointer (`/max_notes`) and the message in
/// both languages (the host's `message_zh` / `message_en`, or one
/// `message` for both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub path: String,
    pub zh: String,
    pub en: String,
}

impl ApiError {
    fn transport(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 0,
            code: "unavailable".into(),
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Reads the host's error body; falls back to the status line.
    pub fn from_body(status: u16, body: &[u8]) -> ApiError {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let err = parsed.as_ref().and_then(|v| v.get("error"));
        let text = |k: &str| {
            err.and_then(|e| e.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let details = err
            .and_then(|e| e.get("details"))
            .and_then(|d| d.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|d| {
                        let get = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                        let path = get("path")?;
                        let one = get("message");
                        let zh = get("message_zh").or_else(|| one.clone())?;
                        let en = get("message_en").or(one).unwrap_or_else(|| zh.clone());
                        Some(FieldProblem { path, zh, en })
                    })
                    .collect()
            })
            .unwrap_or_default();
        ApiError {
            status,
            code: text("code").unwrap_or_else(|| format!("http_{status}")),
            message: text("message").unwrap_or_default(),
            details,
        }
    }

    pub fn is_unauthenticated(&self) -> bool {
        self.status == 401
    }
}

/// Percent-encodes one path segment or query value.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `a=1&b=%E5%BC%A0` (with or without the `?`) into pairs; `+` is
/// a space, as browsers send GET forms.
pub fn parse_query(search: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// `?a=1&b=x` from pairs, skipping empty values.
pub fn query_string(pairs: &[(String, String)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

#[cfg(feature = "ssr")]
pub use backend::{Backend, RequestMemo};

/// Calls the host's API as the current request's user. Take one with
/// [`Client::current`] while rendering (it reads the request's cookie from
/// the reactive context) and use it inside async code.
#[derive(Clone)]
pub struct Client {
    inner: backend::Inner,
}

impl Client {
    pub fn current() -> Client {
        Client {
            inner: backend::Inner::current(),
        }
    }

    /// `GET path` decoded as `T`.
    pub fn get<T>(
        &self,
        path: String,
    ) -> impl Future<Output = Result<T, ApiError>> + Send + 'static + use<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let call = self.inner.get(path);
        async move {
            let (status, body) = call.await?;
            if (200..300).contains(&status) {
                serde_json::from_slice(&body)
                    .map_err(|e| ApiError::transport(format!("unexpected answer: {e}")))
            } else {
                Err(ApiError::from_body(status, &body))
            }
        }
    }
}

/// `GET path` as the current user (see [`Client`]).
pub fn get<T>(path: String) -> impl Future<Output = Result<T, ApiError>> + Send + 'static
where
    T: DeserializeOwned + Send + 'static,
{
    Client::current().get(path)
}

#[cfg(feature = "ssr")]
mod backend {
    use super::ApiError;
    use axum::body::Body;
    use futures_util::FutureExt;
    use futures_util::future::{BoxFuture, Shared};
    use http::{Request, header};
    use leptos::prelude::use_context;
    use std::collections::HashMap;
    use std::future::Future;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    /// Largest API answer the portal reads while rendering.
    const MAX_BODY: usize = 16 * 1024 * 1024;

    /// The host's API router, given to the portal by the host.
    #[derive(Clone)]
    pub struct Backend(pub axum::Router);

    type Answer = Result<(u16, Vec<u8>), ApiError>;

    /// One page render's GETs by path: a path asked twice while rendering
    /// (the frame's menu and the page both read `/api/portal/views`) is
    /// called once. The host provides a fresh one per request, so nothing
    /// outlives the page.
    #[derive(Clone, Default)]
    pub struct RequestMemo(Arc<Mutex<HashMap<String, Shared<BoxFuture<'static, Answer>>>>>);

    #[derive(Clone)]
    pub struct Inner {
        backend: Option<Backend>,
        cookie: Option<http::HeaderValue>,
        memo: Option<RequestMemo>,
    }

    impl Inner {
        pub fn current() -> Inner {
            Inner {
                backend: use_context::<Backend>(),
                cookie: use_context::<http::request::Parts>()
                    .and_then(|p| p.headers.get(header::COOKIE).cloned()),
                memo: use_context::<RequestMemo>(),
            }
        }

        pub fn get(
            &self,
            path: String,
        ) -> impl Future<Output = Result<(u16, Vec<u8>), ApiError>> + Send + 'static + use<>
        {
            let call = self.call(path.clone()).boxed();
            match &self.memo {
                Some(RequestMemo(calls)) => match calls.lock() {
                    Ok(mut calls) => calls.entry(path).or_insert_with(|| call.shared()).clone(),
                    Err(_) => call.shared(),
                },
                None => call.shared(),
            }
        }

        fn call(&self, path: String) -> impl Future<Output = Answer> + Send + 'static + use<> {
            let backend = self.backend.clone();
            let cookie = self.cookie.clone();
            async move {
                let Some(Backend(router)) = backend else {
                    return Err(ApiError::transport("no API backend"));
                };
                let mut req = Request::get(path)
                    .header(header::ACCEPT, "application/json")
                    .body(Body::empty())
                    .map_err(|e| ApiError::transport(e.to_string()))?;
                if let Some(c) = cookie {
                    req.headers_mut().insert(header::COOKIE, c);
                }
                let resp = match router.oneshot(req).await {
                    Ok(r) => r,
                    Err(never) => match never {},
                };
                let status = resp.status().as_u16();
                let body = axum::body::to_bytes(resp.into_body(), MAX_BODY)
                    .await
                    .map_err(|e| ApiError::transport(e.to_string()))?;
                Ok((status, body.to_vec()))
            }
        }
    }
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
mod backend {
    use super::ApiError;
    use std::future::Future;

    #[derive(Clone)]
    pub struct Inner;

    impl Inner {
        pub fn current() -> Inner {
            Inner
        }

        pub fn get(
            &self,
            path: String,
        ) -> impl Future<Output = Result<(u16, Vec<u8>), ApiError>> + Send + 'static + use<>
        {
            send_wrapper::SendWrapper::new(async move {
                let resp = gloo_net::http::Request::get(&path)
                    .header("accept", "application/json")
                    .send()
                    .await
                    .map_err(|e| ApiError::transport(e.to_string()))?;
                let status = resp.status();
                let body = resp
                    .binary()
                    .await
                    .map_err(|e| ApiError::transport(e.to_string()))?;
                Ok((status, body))
            })
        }
    }
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
mod backend {
    use super::ApiError;
    use std::future::Future;

    #[derive(Clone)]
    pub struct Inner;

    impl Inner {
        pub fn current() -> Inner {
            Inner
        }

        pub fn get(
            &self,
            _path: String,
        ) -> impl Future<Output = Result<(u16, Vec<u8>), ApiError>> + Send + 'static + use<>
        {
            std::future::ready(Err(ApiError::transport(
                "the portal was built without `ssr` or `hydrate`",
            )))
        }
    }
}

/// Sends a JSON body (or none) with the session's CSRF token, from the
/// browser; answers the parsed JSON body (`null` for an empty one).
#[cfg(feature = "hydrate")]
pub async fn send_json(
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
    csrf: &str,
) -> Result<serde_json::Value, ApiError> {
    use gloo_net::http::Request;
    let builder = match method.to_ascii_uppercase().as_str() {
        "PUT" => Request::put(path),
        "PATCH" => Request::patch(path),
        "DELETE" => Request::delete(path),
        _ => Request::post(path),
    }
    .header("accept", "application/json")
    .header("x-csrf-token", csrf);
    let request = match body {
        Some(b) => builder
            .json(b)
            .map_err(|e| ApiError::transport(e.to_string()))?,
        None => builder
            .build()
            .map_err(|e| ApiError::transport(e.to_string()))?,
    };
    let resp = request
        .send()
        .await
        .map_err(|e| ApiError::transport(e.to_string()))?;
    read_answer(resp).await
}

/// The file chosen in the `<input type="file">` an event came from.
#[cfg(feature = "hydrate")]
pub fn chosen_file(ev: &leptos::ev::Event) -> Option<web_sys::File> {
    use leptos::wasm_bindgen::JsCast;
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|i| i.files())
        .and_then(|fl| fl.get(0))
}

/// Uploads a file as a blob (`POST /api/blobs`); answers the blob record
/// (`sha256`, `size`, `content_type`).
#[cfg(feature = "hydrate")]
pub async fn upload(file: web_sys::File, csrf: &str) -> Result<serde_json::Value, ApiError> {
    let content_type = file.type_();
    send_file("/api/blobs", file, &content_type, csrf).await
}

/// Posts a file's bytes as the body, with `content_type` (the file's own
/// when empty).
#[cfg(feature = "hydrate")]
pub async fn send_file(
    path: &str,
    file: web_sys::File,
    content_type: &str,
    csrf: &str,
) -> Result<serde_json::Value, ApiError> {
    let own = file.type_();
    let content_type = if !content_type.is_empty() {
        content_type.to_owned()
    } else {
        own
    };
    let resp = gloo_net::http::Request::post(path)
        .header("accept", "application/json")
        .header("x-csrf-token", csrf)
        .header(
            "content-type",
            if content_type.is_empty() {
                "application/octet-stream"
            } else {
                &content_type
            },
        )
        .body(file)
        .map_err(|e| ApiError::transport(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::transport(e.to_string()))?;
    read_answer(resp).await
}

#[cfg(feature = "hydrate")]
async fn read_answer(resp: gloo_net::http::Response) -> Result<serde_json::Value, ApiError> {
    let status = resp.status();
    let bytes = resp
        .binary()
        .await
        .map_err(|e| ApiError::transport(e.to_string()))?;
    if (200..300).contains(&status) {
        if bytes.is_empty() {
            Ok(serde_json::Value::Null)
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::transport(format!("unexpected answer: {e}")))
        }
    } else {
        Err(ApiError::from_body(status, &bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_the_host_body() {
        let e = ApiError::from_body(
            423,
            br#"{"error":{"code":"account_locked","message":"locked"}}"#,
        );
        assert_eq!(e.code, "account_locked");
        assert_eq!(e.message, "locked");
        let e = ApiError::from_body(
            422,
            r#"{"error":{"code":"config_invalid","message":"m","details":[{"path":"/max_notes","message_zh":"字段 max_notes 不能大于 1000","message_en":"max_notes must be at most 1000"}]}}"#.as_bytes(),
        );
        assert_eq!(
            e.details,
            vec![FieldProblem {
                path: "/max_notes".into(),
                zh: "字段 max_notes 不能大于 1000".into(),
                en: "max_notes must be at most 1000".into(),
            }]
        );
        let e = ApiError::from_body(502, b"<html>");
        assert_eq!(e.code, "http_502");
    }

    #[test]
    fn queries_are_encoded() {
        assert_eq!(
            query_string(&[
                ("q".into(), "张 三&x".into()),
                ("empty".into(), String::new()),
                ("offset".into(), "20".into())
            ]),
            "?q=%E5%BC%A0%20%E4%B8%89%26x&offset=20"
        );
        assert_eq!(query_string(&[]), "");
        assert_eq!(
            parse_query("?q=%E5%BC%A0+%E4%B8%89%26x&offset=20&bad=%zz&flag"),
            vec![
                ("q".to_owned(), "张 三&x".to_owned()),
                ("offset".to_owned(), "20".to_owned()),
                ("bad".to_owned(), "%zz".to_owned()),
                ("flag".to_owned(), String::new()),
            ]
        );
    }
}
