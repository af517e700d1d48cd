//! HTTP routes a plugin answers, their validation, and matching a request to one.
//!
//! A route path starts with `/` and has segments that are either literal
//! (`orders`) or a parameter (`{id}`). Paths are matched segment by segment
//! after the host has stripped the `/api/plugins/{plugin}` prefix; when several
//! routes match, the one with a literal segment where the others have a
//! parameter wins, compared from the left.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::Problems;
use crate::names;

/// An HTTP method a plugin route may answer (the WIT `method` enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The upper-case name, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[[routes]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path below the plugin prefix, e.g. `/orders/{id}`.
    pub path: String,
    /// Roles allowed to call it; empty means any authenticated caller.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Callable without authentication (then `roles` must be empty).
    #[serde(default)]
    pub public: bool,
    /// Anonymous calls allowed per client address per minute (public routes
    /// only; required on a public route that is not `GET`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_minute: Option<u32>,
    /// Other module plugins may read it (`GET` only), each when it declares
    /// `module-reads` of this plugin and the operator grants the pair.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub module_read: bool,
}

/// The most anonymous calls per address per minute a route may allow.
pub const MAX_PER_MINUTE: u32 = 600;

/// One segment of a route path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// Splits `/a/{b}` into segments, or says why the path is invalid.
fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err("must start with \"/\"".to_owned());
    };
    if path.len() > 512 {
        return Err("must be at most 512 bytes".to_owned());
    }
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let mut segments = Vec::new();
    for text in rest.split('/') {
        if text.is_empty() {
            return Err("must not contain empty segments (\"//\" or a trailing \"/\")".to_owned());
        }
        if text == "." || text == ".." {
            return Err(format!("must not contain a {text:?} segment"));
        }
        if let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            if !names::is_snake_segment(inner) {
                return Err(format!(
                    "parameter {text:?} must be {{name}} with a lowercase letter or '_' first, then lowercase letters, digits or '_'"
                ));
            }
            if segments.contains(&Segment::Param(inner.to_owned())) {
                return Err(format!("parameter {text:?} appears twice"));
            }
            segments.push(Segment::Param(inner.to_owned()));
        } else if text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
        {
            segments.push(Segment::Literal(text.to_owned()));
        } else {
            return Err(format!(
                "segment {text:?} must be {{param}} or consist of letters, digits, '-', '.', '_' or '~'"
            ));
        }
    }
    Ok(segments)
}

/// Checks every route; `public` routes must not name roles, and no two routes
/// may have the same method and path shape.
pub(crate) fn validate(routes: &[Route], problems: &mut Problems) {
    let mut shapes: Vec<(Method, Vec<Option<String>>, usize)> = Vec::new();
    for (i, route) in routes.iter().enumerate() {
        let at = format!("routes[{i}]");
        match parse_path(&route.path) {
            Err(message) => problems.push(format!("{at}.path"), message),
            Ok(segments) => {
                // Parameters match anything, so their names do not tell routes apart.
                let shape: Vec<Option<String>> = segments
                    .into_iter()
                    .map(|s| match s {
                        Segment::Literal(l) => Some(l),
                        Segment::Param(_) => None,
                    })
                    .collect();
                if let Some((_, _, first)) = shapes
                    .iter()
                    .find(|(m, s, _)| *m == route.method && *s == shape)
                {
                    problems.push(
                        format!("{at}.path"),
                        format!(
                            "{} {} clashes with routes[{first}] ({} {})",
                            route.method, route.path, routes[*first].method, routes[*first].path
                        ),
                    );
                } else {
                    shapes.push((route.method, shape, i));
                }
            }
        }
        for (j, message) in names::role_problems(&route.roles) {
            problems.push(format!("{at}.roles[{j}]"), message);
        }
        if route.public && !route.roles.is_empty() {
            problems.push(
                format!("{at}.roles"),
                "must be empty when the route is public",
            );
        }
        match (route.public, route.per_minute) {
            (false, Some(_)) => problems.push(
                format!("{at}.per-minute"),
                "only a public route has a rate for anonymous callers",
            ),
            (true, None) if route.method != Method::Get => problems.push(
                format!("{at}.per-minute"),
                "a public route that is not GET must limit anonymous calls per address (1 to 600 per minute)",
            ),
            (true, Some(n)) if n == 0 || n > MAX_PER_MINUTE => problems.push(
                format!("{at}.per-minute"),
                format!("must be 1 to {MAX_PER_MINUTE}, not {n}"),
            ),
            _ => {}
        }
        if route.module_read && route.method != Method::Get {
            problems.push(
                format!("{at}.module-read"),
                "only a GET route can be read by other modules",
            );
        }
    }
}

/// The routes of one plugin, ready to match requests.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Route, Vec<Segment>)>,
}

impl RouteTable {
    /// Builds a table; routes with an invalid path are left out (a validated
    /// manifest has none).
    pub fn new(routes: &[Route]) -> Self {
        let routes = routes
            .iter()
            .filter_map(|r| parse_path(&r.path).ok().map(|s| (r.clone(), s)))
            .collect();
        Self { routes }
    }

    /// The route answering `method` on `path` (already without query string
    /// and plugin prefix) and its parameters in path order, still
    /// percent-encoded as received. Literal segments win over parameters.
    pub fn r#match(&self, method: Method, path: &str) -> Option<(&Route, Vec<(String, String)>)> {
        let request = split_request(path)?;
        let mut best: Option<(&Route, &Vec<Segment>)> = None;
        for (route, segments) in &self.routes {
            if route.method != method || !segments_match(segments, &request) {
                continue;
            }
            if best.is_none_or(|(_, current)| more_specific(segments, current)) {
                best = Some((route, segments));
            }
        }
        let (route, segments) = best?;
        let params = segments
            .iter()
            .zip(&request)
            .filter_map(|(segment, value)| match segment {
                Segment::Param(name) => Some((name.clone(), (*value).to_owned())),
                Segment::Literal(_) => None,
            })
            .collect();
        Some((route, params))
    }

    /// The methods some route answers on `path`, for `405 Method Not Allowed`
    /// and `Allow` headers; empty when no route has that path.
    pub fn allowed_methods(&self, path: &str) -> Vec<Method> {
        let Some(request) = split_request(path) else {
            return Vec::new();
        };
        let mut methods: Vec<Method> = self
            .routes
            .iter()
            .filter(|(_, segments)| segments_match(segments, &request))
            .map(|(route, _)| route.method)
            .collect();
        methods.sort();
        methods.dedup();
        methods
    }
}

fn split_request(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        Some(Vec::new())
    } else {
        Some(rest.split('/').collect())
    }
}

fn segments_match(segments: &[Segment], request: &[&str]) -> bool {
    segments.len() == request.len()
        && segments
            .iter()
            .zip(request)
            .all(|(segment, value)| match segment {
                Segment::Literal(literal) => literal == value,
                Segment::Param(_) => !value.is_empty(),
            })
}

/// Whether `a` beats `b`: at the first position where they differ in kind, `a`
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

#[cfg(test)]
#[path = "route_tests.rs"]
mod tests;
