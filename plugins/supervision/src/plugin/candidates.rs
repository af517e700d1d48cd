//! Camera review (视频巡查): hall alerts become candidates; a district
//! inspector confirms one (a problem with the snapshot as evidence) or
//! dismisses it with a reason.

use bantong_sdk::storage::{self, Write};
use bantong_sdk::{Event, HandlerResult, Request, Response, clock};
use serde::Deserialize;
use serde_json::{Value, json};

use super::docs::{CANDIDATES, CandidateDoc, PROBLEMS, ProblemDoc};
use super::{invalid, not_found, path, require_district, settings};
use crate::candidate::{Status, from_alert};
use crate::inspection::Evidence;
use crate::month::Month;
use crate::problem::{Problem, Source};

/// Stores the candidate an alert makes (once per `(agent, seq)`).
pub fn on_alert(ev: &Event) -> Result<(), Response> {
    let Some(envelope) = super::envelope(ev) else {
        return Ok(());
    };
    let Some(candidate) = from_alert(&envelope) else {
        return Ok(());
    };
    let month = Month::of_ms(candidate.at_ms).to_string();
    let hall = candidate.hall.clone();
    match storage::put(
        CANDIDATES,
        Write::new(CandidateDoc { candidate, month })
            .id(envelope.key())
            .hall(hall)
            .create_only(),
    ) {
        Ok(_) => Ok(()),
        // Delivered again: already stored.
        Err(e) if e.is_conflict() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn view(id: &str, doc: &CandidateDoc, names: &std::collections::BTreeMap<String, String>) -> Value {
    let mut v = serde_json::to_value(doc).unwrap_or_default();
    v["id"] = json!(id);
    v["status_zh"] = json!(doc.candidate.status.zh());
    v["hall_name"] = json!(
        names
            .get(&doc.candidate.hall)
            .cloned()
            .unwrap_or_else(|| doc.candidate.hall.clone())
    );
    v["snapshot_url"] = json!(
        doc.candidate
            .snapshot
            .as_ref()
            .map(|s| format!("/api/blobs/{s}"))
    );
    v
}

/// `GET /candidates?status=pending&hall=&month=`.
pub fn list(req: Request) -> HandlerResult {
    super::list_page(&req, CANDIDATES, &["status", "month"], "at_ms", view)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    confirm: bool,
    #[serde(default)]
    reason: String,
}

/// `GET /candidates/{id}`.
pub fn get(req: Request) -> HandlerResult {
    super::require_reader(req.require_caller()?)?;
    let id = path(&req, "id")?;
    let doc = storage::get::<CandidateDoc>(CANDIDATES, id)?
        .ok_or_else(|| not_found("没有该线索", format!("no candidate {id}")))?;
    Ok(Response::ok(&view(id, &doc.body, &settings::hall_names())))
}

/// `POST /candidates/{id}/decision`: confirm (opens a problem) or dismiss.
pub fn decide(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_district(caller)?;
    let id = path(&req, "id")?;
    let body: Decision = req.json()?;
    if body.reason.chars().count() > 500 {
        return Err(invalid(
            "理由不超过500字",
            "the reason is at most 500 characters",
        ));
    }
    if !body.confirm && body.reason.trim().is_empty() {
        return Err(invalid("排除须说明理由", "a dismissal needs a reason"));
    }
    let stored = storage::get::<CandidateDoc>(CANDIDATES, id)?
        .ok_or_else(|| not_found("没有该线索", format!("no candidate {id}")))?;
    let mut doc = stored.body;
    if doc.candidate.status != Status::Pending {
        return Err(Response::conflict(format!(
            "该线索已{} / the candidate was already decided",
            doc.candidate.status.zh()
        )));
    }
    let now = clock::now();
    let c = &mut doc.candidate;
    c.decided_by = Some(caller.username.clone());
    c.decided_ms = Some(now);
    c.reason = Some(body.reason.trim().to_owned()).filter(|r| !r.is_empty());
    if body.confirm {
        c.status = Status::Confirmed;
        let month = Month::of_ms(now);
        let r = settings::load()?;
        let evidence = c
            .snapshot
            .iter()
            .map(|sha| Evidence {
                sha256: sha.clone(),
                content_type: Some("image/jpeg".into()),
                taken_ms: Some(c.at_ms),
                place: c.subject.clone(),
                lat: None,
                lon: None,
            })
            .collect();
        let problem = Problem::issue(
            c.hall.clone(),
            month.to_string(),
            c.category.clone(),
            Some(c.item.clone()),
            c.title.clone(),
            match &c.reason {
                Some(r) => format!("{}。{r}", c.description),
                None => c.description.clone(),
            },
            Source::Camera {
                candidate: id.to_owned(),
                alert: c.alert.clone(),
            },
            evidence,
            &caller.username,
            now,
            r.due(month, now),
        );
        let pid = format!("cam-{id}");
        storage::put(
            PROBLEMS,
            Write::new(ProblemDoc::new(problem, month.index()))
                .id(&pid)
                .hall(&c.hall)
                .create_only(),
        )?;
        c.problem = Some(pid);
        settings::notify(
            &settings::managers_of(&c.hall),
            &format!(
                "【监督促效】视频巡查发现“{}”，已下发至本大厅问题清单，请签收整改。",
                c.title
            ),
            "supervision.problem.issued",
            Some(&c.hall),
        );
    } else {
        c.status = Status::Dismissed;
    }
    let stored = storage::put(
        CANDIDATES,
        Write::new(doc)
            .id(id)
            .hall(stored.hall)
            .expected_version(stored.version),
    )?;
    Ok(Response::ok(&view(
        id,
        &stored.body,
        &settings::hall_names(),
    )))
}
