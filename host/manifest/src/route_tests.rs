//! Unit tests of route validation and matching.

use super::*;

fn route(method: Method, path: &str) -> Route {
    Route {
        method,
        path: path.to_owned(),
        roles: Vec::new(),
        public: false,
        per_minute: None,
        module_read: false,
    }
}

fn problems_of(routes: &[Route]) -> Vec<String> {
    let mut problems = Problems::default();
    validate(routes, &mut problems);
    match problems.into_result() {
        Ok(()) => Vec::new(),
        Err(e) => e.field_errors().iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn paths_are_validated() {
    assert!(parse_path("/").is_ok_and(|s| s.is_empty()));
    assert_eq!(
        parse_path("/orders/{id}"),
        Ok(vec![
            Segment::Literal("orders".into()),
            Segment::Param("id".into())
        ])
    );
    assert_eq!(parse_path("orders"), Err("must start with \"/\"".into()));
    assert!(parse_path("/orders/").is_err());
    assert!(parse_path("//orders").is_err());
    assert!(parse_path("/a/../b").is_err());
    assert!(parse_path("/a/./b").is_err());
    assert!(parse_path("/{Id}").is_err());
    assert!(parse_path("/{}").is_err());
    assert!(parse_path("/{id}/{id}").is_err());
    assert!(parse_path("/a b").is_err());
    assert!(parse_path("/a?b").is_err());
    assert!(parse_path("/x{id}").is_err());
    assert!(parse_path(&format!("/{}", "a".repeat(600))).is_err());
}

#[test]
fn validation_names_the_route() {
    let mut public_with_roles = route(Method::Get, "/stats");
    public_with_roles.public = true;
    public_with_roles.roles = vec!["leader".into()];
    let routes = vec![
        route(Method::Get, "/orders/{id}"),
        route(Method::Get, "orders"),
        route(Method::Get, "/orders/{order}"),
        route(Method::Post, "/orders/{order}"),
        public_with_roles,
    ];
    assert_eq!(
        problems_of(&routes),
        vec![
            "routes[1].path: must start with \"/\"",
            "routes[2].path: GET /orders/{order} clashes with routes[0] (GET /orders/{id})",
            "routes[4].roles: must be empty when the route is public",
        ]
    );
}

#[test]
fn literal_segments_win_over_parameters() {
    let table = RouteTable::new(&[
        route(Method::Get, "/orders/{id}"),
        route(Method::Get, "/orders/export"),
        route(Method::Get, "/{kind}/summary"),
        route(Method::Get, "/orders/{id}/summary"),
        route(Method::Get, "/"),
    ]);
    let (r, params) = table.r#match(Method::Get, "/orders/export").unwrap();
    assert_eq!(r.path, "/orders/export");
    assert!(params.is_empty());

    let (r, params) = table.r#match(Method::Get, "/orders/42").unwrap();
    assert_eq!(r.path, "/orders/{id}");
    assert_eq!(params, vec![("id".to_owned(), "42".to_owned())]);

    // "orders" is literal in the first route and a parameter in the other.
    let table = RouteTable::new(&[
        route(Method::Get, "/{kind}/summary"),
        route(Method::Get, "/orders/{id}"),
    ]);
    let (r, params) = table.r#match(Method::Get, "/orders/summary").unwrap();
    assert_eq!(r.path, "/orders/{id}");
    assert_eq!(params, vec![("id".to_owned(), "summary".to_owned())]);
    let (r, _) = table.r#match(Method::Get, "/halls/summary").unwrap();
    assert_eq!(r.path, "/{kind}/summary");
}

#[test]
fn misses() {
    let table = RouteTable::new(&[
        route(Method::Get, "/orders/{id}"),
        route(Method::Delete, "/orders/{id}"),
        route(Method::Get, "/"),
    ]);
    assert!(table.r#match(Method::Post, "/orders/1").is_none());
    assert!(table.r#match(Method::Get, "/orders").is_none());
    assert!(table.r#match(Method::Get, "/orders/").is_none());
    assert!(table.r#match(Method::Get, "/orders/1/x").is_none());
    assert!(table.r#match(Method::Get, "orders/1").is_none());
    assert!(table.r#match(Method::Get, "").is_none());
    assert!(table.r#match(Method::Get, "/").is_some());
    assert_eq!(
        table.allowed_methods("/orders/7"),
        vec![Method::Get, Method::Delete]
    );
    assert!(table.allowed_methods("/nothing").is_empty());
}

#[test]
fn methods_serialise_upper_case() {
    assert_eq!(Method::Patch.to_string(), "PATCH");
    let json = serde_json::to_string(&Method::Delete).unwrap();
    assert_eq!(json, "\"DELETE\"");
}

#[test]
fn anonymous_rates_belong_to_public_routes() {
    let mut post = route(Method::Post, "/answers");
    post.public = true;
    let mut get = route(Method::Get, "/form");
    get.public = true;
    get.per_minute = Some(30);
    let mut private = route(Method::Get, "/answers");
    private.per_minute = Some(10);
    let mut too_many = route(Method::Put, "/answers/{id}");
    too_many.public = true;
    too_many.per_minute = Some(601);
    let mut zero = route(Method::Delete, "/answers/{id}");
    zero.public = true;
    zero.per_minute = Some(0);
    assert_eq!(
        problems_of(&[post.clone(), get, private, too_many, zero]),
        vec![
            "routes[0].per-minute: a public route that is not GET must limit anonymous calls per address (1 to 600 per minute)",
            "routes[2].per-minute: only a public route has a rate for anonymous callers",
            "routes[3].per-minute: must be 1 to 600, not 601",
            "routes[4].per-minute: must be 1 to 600, not 0",
        ]
    );
    post.per_minute = Some(20);
    assert!(problems_of(&[post]).is_empty());
}
