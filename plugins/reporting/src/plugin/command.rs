//! `GET /command`: the command screen's module figures for the caller's
//! halls (every hall for the district), read from the modules now.

use bantong_sdk::{HandlerResult, Request, Response, clock};

use super::draft::{halls, read};
use crate::command::{CommandInputs, board};
use crate::month::Month;

pub fn command(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let now = clock::now();
    let month = Month::of_ms(now);
    let district = caller.district_wide;
    let visible: Vec<_> = halls()
        .into_iter()
        .filter(|h| district || caller.halls.contains(&h.id))
        .collect();
    if visible.is_empty() {
        return Err(super::forbidden("没有可查看的服务中心", "no hall to show"));
    }
    let inputs = CommandInputs {
        halls: visible,
        scorecard: read("supervision", &format!("/scorecard?month={month}")),
        supervision: read("supervision", "/live"),
        hotline: read("hotline", "/live"),
        district,
        at_ms: now,
    };
    Ok(Response::ok(&board(&inputs)))
}
