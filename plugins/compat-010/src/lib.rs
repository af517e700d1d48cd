//! A module plugin built against the released WIT `bantong:platform@0.1.0`
//! with raw `wit-bindgen` bindings (no SDK, which follows the newest
//! version). The host binds the newest version and must still run it:
//! `GET /ping` answers the clock through an import, `POST /notes` stores
//! the body through another, and the four exports are all called.

#![allow(unsafe_code)]

wit_bindgen::generate!({
    path: "../../wit/released/0.1.0",
    world: "module",
});

use bantong::platform::types::{Event, Job, Method, Request, Response};
use bantong::platform::{clock, storage};
use exports::bantong::platform::{handler, portal, scheduler, subscriber};

struct Compat;

fn json(status: u16, body: String) -> Response {
    Response {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.into_bytes(),
    }
}

impl handler::Guest for Compat {
    fn handle(req: Request) -> Response {
        match (req.method, req.path.as_str()) {
            (Method::Get, "/ping") => json(
                200,
                format!(r#"{{"pong":true,"wit":"0.1.0","now":{}}}"#, clock::now()),
            ),
            (Method::Post, "/notes") => {
                let body = String::from_utf8(req.body).unwrap_or_default();
                let write = storage::Write {
                    id: None,
                    hall: req.hall,
                    body,
                    expected_version: None,
                };
                match storage::put("notes", &write) {
                    Ok(doc) => json(
                        201,
                        format!(r#"{{"id":"{}","version":{}}}"#, doc.id, doc.version),
                    ),
                    Err(e) => json(422, format!(r#"{{"error":{:?}}}"#, format!("{e:?}"))),
                }
            }
            _ => json(404, r#"{"error":"no route"}"#.into()),
        }
    }
}

impl subscriber::Guest for Compat {
    fn on_event(_ev: Event) -> Result<(), String> {
        Ok(())
    }
}

impl scheduler::Guest for Compat {
    fn on_job(_job: Job) -> Result<(), String> {
        Ok(())
    }
}

impl portal::Guest for Compat {
    fn views() -> Vec<portal::View> {
        Vec::new()
    }
}

export!(Compat);
