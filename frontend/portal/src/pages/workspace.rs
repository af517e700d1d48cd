//! `/p/{plugin}/{page}`: a workspace — every view of a plugin that names
//! the same `page` in its spec, shown together (the hotline's agent
//! workspace: incoming calls, caller history, knowledge search and the
//! intake form on one screen). Each section loads on its own: one that
//! fails shows its error and the others still work. A `detail` section
//! without a chosen record asks for its id (`?id=`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};
use serde_json::Value;

use super::view::{Loaded, failure, load_view, render_body, when_loaded};
use crate::api::{ApiError, Client, parse_query};
use crate::i18n::locale;
use crate::layout::{Session, signed_in};
use crate::model::{ViewDef, Views};

/// The page's title (its `page` object) and each section's outcome.
type Workspace = (Value, Vec<Result<Loaded, (ViewDef, ApiError)>>);

async fn load(
    client: Client,
    plugin: String,
    page: String,
    search: String,
) -> Result<Workspace, ApiError> {
    let views: Views = client.get("/api/portal/views".into()).await?;
    let members: Vec<ViewDef> = views
        .items
        .into_iter()
        .filter(|v| v.plugin == plugin && v.page().is_some_and(|(id, _)| id == page))
        .collect();
    let Some(title) = members.first().and_then(|v| v.page()).map(|(_, p)| p) else {
        return Err(ApiError {
            status: 404,
            code: "not_found".into(),
            message: String::new(),
            details: Vec::new(),
        });
    };
    let id = parse_query(&search)
        .into_iter()
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty());
    let mut sections = Vec::with_capacity(members.len());
    for view in members {
        if view.kind == "detail" && id.is_none() {
            sections.push(Ok(Loaded::AskId { view }));
            continue;
        }
        let outcome = load_view(client.clone(), view.clone(), id.clone(), search.clone()).await;
        sections.push(outcome.map_err(|e| (view, e)));
    }
    Ok((title, sections))
}

#[component]
pub fn WorkspacePage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let key = move || {
        params.with(|p| {
            (
                p.get("plugin").unwrap_or_default(),
                p.get("page").unwrap_or_default(),
                location.search.get(),
            )
        })
    };
    let client = Client::current();
    let data = Resource::new(key, move |(plugin, page, search)| {
        load(client.clone(), plugin, page, search)
    });
    let l = locale();
    signed_in(move |s: Session| {
        view! {
            {when_loaded(data, l, move |(title, sections): Workspace| {
                let title = l.pick_json(&title, "title");
                // The plugin's actions and exports, once, under the title.
                let actions = sections.first().and_then(|section| {
                    let view = match section {
                        Ok(loaded) => loaded.view(),
                        Err((view, _)) => view,
                    };
                    crate::layout::actions_of(&s.views, view, l)
                });
                let parts: Vec<AnyView> = sections
                    .iter()
                    .map(|section| {
                        let (view, body) = match section {
                            Ok(loaded) => (loaded.view(), render_body(&s, loaded)),
                            Err((view, e)) => (view, failure(e, l)),
                        };
                        let heading = l.pick_json(&view.title, "");
                        view! {
                            <section class="workspace-part" data-view=view.id.clone()>
                                <h2>{heading}</h2>
                                {body}
                            </section>
                        }
                        .into_any()
                    })
                    .collect();
                view! {
                    <Title text=title.clone() />
                    <h1>{title}</h1>
                    {actions}
                    <div class="workspace">{parts}</div>
                }
                .into_any()
            })}
        }
        .into_any()
    })
}
