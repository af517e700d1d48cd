//! The exam page (a form view whose spec names `exam` routes): a
//! candidate sits a plugin's exam on a phone.
//!
//! The server keeps the paper, the answers and the clock; this page shows
//! one question at a time with an answer card, sends each answer the
//! moment it is given, and counts down to the server's deadline. When the
//! network drops, answers wait on the device (and in its local storage,
//! so a reload keeps them) and are sent as soon as it is back; nothing is
//! lost but time, which the server keeps counting. Leaving the page is
//! reported (切屏). The spec:
//!
//! ```json
//! { "exam": { "start": "/my/exams/{id}/start", "sitting": "/my/exams/{id}/sitting",
//!             "answer": "/my/exams/{id}/answers/{slot}", "away": "/my/exams/{id}/away",
//!             "submit": "/my/exams/{id}/submit" } }
//! ```
//!
//! The sitting the routes answer: `questions` (`slot`, `no`, `kind`,
//! `stem`, `options`, `blanks`, `marks`, `answer`), `deadline_ms`,
//! `server_ms`, `state`, `result`.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::i18n::{Locale, Msg};
use crate::model::ViewDef;

/// The exam's routes from the view's spec, as API paths for record `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Routes {
    pub start: String,
    pub sitting: String,
    answer: String,
    pub away: String,
    pub submit: String,
}

impl Routes {
    /// The route of what the page shows before the start (`info`).
    pub fn info(view: &ViewDef, id: &str) -> Option<String> {
        let r = view.spec.get("exam")?.get("info")?.as_str()?;
        Some(view.path_of(r, Some(id)))
    }

    pub fn of(view: &ViewDef, id: &str) -> Option<Routes> {
        let spec = view.spec.get("exam")?;
        let path = |k: &str| {
            spec.get(k)
                .and_then(Value::as_str)
                .map(|r| view.path_of(r, Some(id)))
        };
        Some(Routes {
            start: path("start")?,
            sitting: path("sitting")?,
            answer: path("answer")?,
            away: path("away")?,
            submit: path("submit")?,
        })
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn answer(&self, slot: u64) -> String {
        self.answer.replace("{slot}", &slot.to_string())
    }
}

/// `mm:ss` (or `h:mm:ss`) of a duration in ms.
pub fn clock_text(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// Whether an answer (in the sitting's shape) says anything.
pub fn answered(a: &Value) -> bool {
    match a.get("type").and_then(Value::as_str) {
        Some("options") => a["options"].as_array().is_some_and(|o| !o.is_empty()),
        Some("truth") => a["truth"].is_boolean(),
        Some("blanks") => a["blanks"].as_array().is_some_and(|b| {
            b.iter()
                .any(|x| x.as_str().is_some_and(|t| !t.trim().is_empty()))
        }),
        Some("text") => a["text"].as_str().is_some_and(|t| !t.trim().is_empty()),
        _ => false,
    }
}

/// The answers a sitting carries, by slot.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn answers_of(sitting: &Value) -> BTreeMap<u64, Value> {
    sitting["questions"]
        .as_array()
        .map(|qs| {
            qs.iter()
                .filter_map(|q| Some((q["slot"].as_u64()?, q["answer"].clone())))
                .filter(|(_, a)| !a.is_null())
                .collect()
        })
        .unwrap_or_default()
}

/// The page: the exam's rules and a start button; once started, the
/// sitting.
#[component]
pub fn ExamSitting(
    view: ViewDef,
    id: String,
    info: Value,
    csrf: String,
    l: Locale,
) -> impl IntoView {
    let Some(routes) = Routes::of(&view, &id) else {
        return view! { <p class="alert">{l.t(Msg::Unsupported)}</p> }.into_any();
    };
    let storage_key = format!("exam:{}:{id}", view.plugin);
    let sitting = RwSignal::new(None::<Value>);
    let answers = RwSignal::new(BTreeMap::<u64, Value>::new());
    let unsaved = RwSignal::new(BTreeMap::<u64, Value>::new());
    let current = RwSignal::new(0usize);
    let now = RwSignal::new(0i64);
    let offline = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ctx = Ctx {
        routes,
        csrf,
        storage_key,
        sitting,
        answers,
        unsaved,
        now,
        offline,
        error,
        busy,
    };
    #[cfg(feature = "hydrate")]
    ctx.clone().run();
    let status = info["status"].as_str().unwrap_or_default().to_owned();
    let can_start = matches!(status.as_str(), "可参加" | "作答中" | "可补考");
    let start_label = if status == "作答中" {
        l.t(Msg::ExamContinue)
    } else {
        l.t(Msg::ExamStart)
    };
    let start_ctx = ctx.clone();
    let rules = view! {
        <dl class="card detail exam-rules">
            <dt>{l.t(Msg::ExamName)}</dt><dd>{text(&info["title"])}</dd>
            <dt>{l.t(Msg::ExamTime)}</dt>
            <dd>{l.t(Msg::ExamMinutes).replace("{n}", &text(&info["minutes"]))}</dd>
            <dt>{l.t(Msg::ExamSize)}</dt>
            <dd>{format!("{} / {}", text(&info["questions"]), text(&info["marks"]))}</dd>
            <dt>{l.t(Msg::ExamPassMark)}</dt><dd>{text(&info["pass"])}</dd>
            <dt>{l.t(Msg::ExamRule)}</dt><dd>{text(&info["rule_zh"])}</dd>
            <dt>{l.t(Msg::ExamStatus)}</dt><dd class="exam-status">{status.clone()}</dd>
        </dl>
        {info["notice"].as_str().map(|n| view! { <p class="exam-notice">{n.to_owned()}</p> })}
        <p class="hint">
            {l.t(Msg::ExamHowItWorks)}
        </p>
    };
    view! {
        <div class="exam">
            {move || match sitting.get() {
                None => view! {
                    {rules.clone()}
                    {can_start.then(|| {
                        let c = start_ctx.clone();
                        view! {
                            <p class="page-actions">
                                <button type="button" class="button primary exam-start"
                                    disabled=move || busy.get()
                                    on:click=move |_| c.clone().start()>
                                    {start_label}
                                </button>
                            </p>
                        }
                    })}
                    {move || error.get().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
                }
                .into_any(),
                Some(s) if s["result"].is_object() => result(&s, l).into_any(),
                Some(s) => paper(&ctx, &s, current, l).into_any(),
            }}
        </div>
    }
    .into_any()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// What the page shares between its parts (the browser's part reads
/// them all; the server only draws).
#[derive(Clone)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Ctx {
    routes: Routes,
    csrf: String,
    storage_key: String,
    sitting: RwSignal<Option<Value>>,
    answers: RwSignal<BTreeMap<u64, Value>>,
    unsaved: RwSignal<BTreeMap<u64, Value>>,
    now: RwSignal<i64>,
    offline: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
}

fn result(s: &Value, l: Locale) -> impl IntoView + use<> {
    let r = &s["result"];
    let score = text(&r["score"]);
    let max = text(&r["max"]);
    let percent = r["percent"].as_f64().map(|p| format!("{p:.1}"));
    let verdict = match r["passed"].as_bool() {
        Some(true) => l.t(Msg::ExamPassed),
        Some(false) => l.t(Msg::ExamFailed),
        None => l.t(Msg::ExamAwaitingMarks),
    };
    let timed_out = s["state"] == "timed_out";
    view! {
        <section class="card exam-result" role="status">
            <h2>{if timed_out { l.t(Msg::ExamTimedOut) } else { l.t(Msg::ExamHandedIn) }}</h2>
            <p class="exam-score">
                <span class="big">{score}</span>
                {format!(" {}", l.t(Msg::ExamOutOf).replace("{n}", &max))}
            </p>
            {percent.map(|p| view! { <p>{l.t(Msg::ExamOf100).replace("{n}", &p)}</p> })}
            <p class="exam-verdict">{verdict}</p>
        </section>
    }
}

fn paper(ctx: &Ctx, s: &Value, current: RwSignal<usize>, l: Locale) -> impl IntoView + use<> {
    let questions: Vec<Value> = s["questions"].as_array().cloned().unwrap_or_default();
    let total = questions.len();
    let deadline = s["deadline_ms"].as_i64().unwrap_or_default();
    let (answers, unsaved, now, offline, error) =
        (ctx.answers, ctx.unsaved, ctx.now, ctx.offline, ctx.error);
    let remaining = move || clock_text(deadline - now.get());
    let low = move || deadline - now.get() < 5 * 60_000;
    let status = move || {
        let waiting = unsaved.with(BTreeMap::len);
        if offline.get() {
            l.t(Msg::ExamOffline).to_owned()
        } else if waiting > 0 {
            l.t(Msg::ExamSaving).replace("{n}", &waiting.to_string())
        } else {
            l.t(Msg::ExamSaved).to_owned()
        }
    };
    let card_qs = questions.clone();
    let card = move || {
        card_qs
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let slot = q["slot"].as_u64().unwrap_or_default();
                let done = answers.with(|a| a.get(&slot).is_some_and(answered));
                let waiting = unsaved.with(|u| u.contains_key(&slot));
                let class = format!(
                    "card-cell{}{}{}",
                    if done { " done" } else { "" },
                    if waiting { " waiting" } else { "" },
                    if current.get() == i { " current" } else { "" }
                );
                view! {
                    <button type="button" class=class aria-label=l.t(Msg::ExamQuestionN).replace("{n}", &(i + 1).to_string())
                        on:click=move |_| current.set(i)>{i + 1}</button>
                }
            })
            .collect::<Vec<_>>()
    };
    let shown = {
        let ctx = ctx.clone();
        move || {
            let i = current.get().min(total.saturating_sub(1));
            questions.get(i).map(|q| question(&ctx, q, i, total, l))
        }
    };
    let submit_ctx = ctx.clone();
    let unanswered = {
        let qs = s["questions"].as_array().cloned().unwrap_or_default();
        move || {
            qs.iter()
                .filter(|q| {
                    let slot = q["slot"].as_u64().unwrap_or_default();
                    !answers.with(|a| a.get(&slot).is_some_and(answered))
                })
                .count()
        }
    };
    view! {
        <div class="exam-bar" role="timer" aria-live="off">
            <span class="exam-title">{text(&s["title"])}</span>
            <span class=move || if low() { "exam-clock low" } else { "exam-clock" }>
                {move || l.t(Msg::ExamLeft).replace("{n}", &remaining())}
            </span>
        </div>
        <p class=move || if offline.get() { "exam-net offline" } else { "exam-net" } role="status">{status}</p>
        {shown}
        <nav class="exam-nav">
            <button type="button" class="button" disabled=move || current.get() == 0
                on:click=move |_| current.update(|c| *c = c.saturating_sub(1))>{l.t(Msg::ExamPrevious)}</button>
            <button type="button" class="button" disabled=move || { current.get() + 1 >= total }
                on:click=move |_| current.update(|c| *c = (*c + 1).min(total.saturating_sub(1)))>{l.t(Msg::ExamNext)}</button>
        </nav>
        <section class="exam-card" aria-label=l.t(Msg::ExamCard)>
            <h2>{l.t(Msg::ExamCard)}</h2>
            <div class="card-grid">{card}</div>
        </section>
        <p class="page-actions">
            <button type="button" class="button primary exam-submit"
                on:click=move |_| {
                    let left = unanswered();
                    submit_ctx.clone().submit(left, l);
                }>{l.t(Msg::ExamHandIn)}</button>
        </p>
        {move || error.get().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
    }
}

const LETTERS: &[u8] = b"ABCDEFGH";

fn question(ctx: &Ctx, q: &Value, i: usize, total: usize, l: Locale) -> AnyView {
    let slot = q["slot"].as_u64().unwrap_or_default();
    let kind = q["kind"].as_str().unwrap_or_default().to_owned();
    let answers = ctx.answers;
    let given = move || answers.with(|a| a.get(&slot).cloned().unwrap_or(Value::Null));
    let head = view! {
        <p class="exam-q-head">
            <span class="exam-q-no">{format!("{}/{total}", i + 1)}</span>
            <span class="tag">{text(&q["kind_zh"])}</span>
            <span class="exam-q-marks">{l.t(Msg::ExamMarks).replace("{n}", &text(&q["marks"]))}</span>
        </p>
        <p class="exam-stem" id=format!("stem-{slot}")>{text(&q["stem"])}</p>
    };
    let body: AnyView = match kind.as_str() {
        "single" | "multiple" => {
            let multiple = kind == "multiple";
            let options: Vec<String> = q["options"]
                .as_array()
                .map(|o| o.iter().map(text).collect())
                .unwrap_or_default();
            let rows = options
                .into_iter()
                .enumerate()
                .map(|(n, o)| {
                    let ctx = ctx.clone();
                    let letter = char::from(LETTERS.get(n).copied().unwrap_or(b'?'));
                    let checked = move || {
                        given()["options"]
                            .as_array()
                            .is_some_and(|c| c.iter().any(|x| x.as_u64() == Some(n as u64)))
                    };
                    view! {
                        <label class="exam-option">
                            <input type=if multiple { "checkbox" } else { "radio" } name=format!("q-{slot}")
                                prop:checked=checked
                                on:change=move |_| {
                                    let mut chosen: Vec<u64> = given()["options"]
                                        .as_array()
                                        .map(|c| c.iter().filter_map(Value::as_u64).collect())
                                        .unwrap_or_default();
                                    if multiple {
                                        if let Some(p) = chosen.iter().position(|&x| x == n as u64) {
                                            chosen.remove(p);
                                        } else {
                                            chosen.push(n as u64);
                                        }
                                        chosen.sort_unstable();
                                    } else {
                                        chosen = vec![n as u64];
                                    }
                                    ctx.give(slot, json!({ "type": "options", "options": chosen }));
                                } />
                            <span class="letter">{format!("{letter}.")}</span>
                            <span>{o}</span>
                        </label>
                    }
                })
                .collect::<Vec<_>>();
            view! { <fieldset class="exam-options" aria-labelledby=format!("stem-{slot}")>{rows}</fieldset> }.into_any()
        }
        "true_false" => {
            let pick = |value: bool, label: &'static str| {
                let ctx = ctx.clone();
                view! {
                    <label class="exam-option">
                        <input type="radio" name=format!("q-{slot}")
                            prop:checked=move || given()["truth"].as_bool() == Some(value)
                            on:change=move |_| ctx.give(slot, json!({ "type": "truth", "truth": value })) />
                        <span>{label}</span>
                    </label>
                }
            };
            view! {
                <fieldset class="exam-options" aria-labelledby=format!("stem-{slot}")>
                    {pick(true, l.t(Msg::ExamTrue))}
                    {pick(false, l.t(Msg::ExamFalse))}
                </fieldset>
            }
            .into_any()
        }
        "fill_in" => {
            let n = q["blanks"].as_u64().unwrap_or(1) as usize;
            let inputs = (0..n)
                .map(|b| {
                    let ctx = ctx.clone();
                    let value = move || given()["blanks"][b].as_str().unwrap_or_default().to_owned();
                    view! {
                        <label class="exam-blank">
                            <span>{l.t(Msg::ExamBlankN).replace("{n}", &(b + 1).to_string())}</span>
                            <input type="text" prop:value=value maxlength="200"
                                on:change=move |ev| {
                                    let mut blanks: Vec<String> = (0..n)
                                        .map(|k| given()["blanks"][k].as_str().unwrap_or_default().to_owned())
                                        .collect();
                                    blanks[b] = event_target_value(&ev);
                                    ctx.give(slot, json!({ "type": "blanks", "blanks": blanks }));
                                } />
                        </label>
                    }
                })
                .collect::<Vec<_>>();
            view! { <div class="exam-blanks">{inputs}</div> }.into_any()
        }
        _ => {
            let ctx = ctx.clone();
            view! {
                <textarea class="exam-text" rows="8" maxlength="5000" aria-labelledby=format!("stem-{slot}")
                    prop:value=move || given()["text"].as_str().unwrap_or_default().to_owned()
                    on:change=move |ev| ctx.give(slot, json!({ "type": "text", "text": event_target_value(&ev) }))>
                </textarea>
            }
            .into_any()
        }
    };
    view! { <section class="card exam-question" data-slot=slot>{head}{body}</section> }.into_any()
}

impl Ctx {
    /// Records an answer and sends it.
    fn give(&self, slot: u64, answer: Value) {
        self.answers.update(|a| {
            a.insert(slot, answer.clone());
        });
        self.unsaved.update(|u| {
            u.insert(slot, answer);
        });
        #[cfg(feature = "hydrate")]
        {
            self.remember();
            self.clone().flush();
        }
    }
}

/// On the server the page is only drawn; its buttons act in the browser.
#[cfg(not(feature = "hydrate"))]
impl Ctx {
    fn start(self) {}

    fn submit(self, _unanswered: usize, _l: Locale) {}
}

#[cfg(feature = "hydrate")]
impl Ctx {
    /// Starts the clock, the retries and the watch on leaving the page.
    fn run(self) {
        let c = self.clone();
        super::every(1_000, move || {
            let offset = c.offset();
            c.now.set(js_sys::Date::now() as i64 + offset);
            let Some(s) = c.sitting.get_untracked() else {
                return;
            };
            let deadline = s["deadline_ms"].as_i64().unwrap_or(i64::MAX);
            if s["result"].is_null()
                && c.now.get_untracked() > deadline + 1_000
                && !c.busy.get_untracked()
            {
                // Time is up: send what waits, then read the finished sitting.
                c.busy.set(true);
                let c = c.clone();
                leptos::task::spawn_local(async move {
                    c.clone().flush_now().await;
                    c.reload().await;
                    c.busy.set(false);
                });
            }
        });
        let c = self.clone();
        super::every(3_000, move || {
            if !c.unsaved.with_untracked(BTreeMap::is_empty) {
                c.clone().flush();
            }
        });
        let c = self.clone();
        let handle = window_event_listener_untyped("visibilitychange", move |_| {
            let hidden = document().hidden();
            let answering = c
                .sitting
                .with_untracked(|s| s.as_ref().is_some_and(|s| s["result"].is_null()));
            if hidden && answering {
                let c = c.clone();
                leptos::task::spawn_local(async move {
                    let _ = crate::api::send_json("POST", &c.routes.away, None, &c.csrf).await;
                });
            }
        });
        let c = self;
        let online = window_event_listener_untyped("online", move |_| c.clone().flush());
        on_cleanup(move || {
            handle.remove();
            online.remove();
        });
    }

    /// Server time minus this device's, from the last sitting read.
    fn offset(&self) -> i64 {
        self.sitting.with_untracked(|s| {
            s.as_ref()
                .and_then(|s| s["_offset"].as_i64())
                .unwrap_or_default()
        })
    }

    /// Shows a sitting the server sent, keeping answers not yet sent.
    fn show(&self, mut s: Value) {
        let offset = s["server_ms"].as_i64().unwrap_or_default() - js_sys::Date::now() as i64;
        s["_offset"] = json!(offset);
        let mut answers = answers_of(&s);
        let waiting = self.unsaved.get_untracked();
        if s["result"].is_null() {
            answers.extend(waiting);
        } else {
            self.unsaved.set(BTreeMap::new());
            self.forget();
        }
        self.answers.set(answers);
        self.now.set(js_sys::Date::now() as i64 + offset);
        self.sitting.set(Some(s));
    }

    fn start(self) {
        self.busy.set(true);
        self.error.set(None);
        leptos::task::spawn_local(async move {
            self.unsaved.set(self.recalled());
            match crate::api::send_json("POST", &self.routes.start, None, &self.csrf).await {
                Ok(s) => {
                    self.show(s);
                    self.clone().flush();
                }
                Err(e) => self.error.set(Some(if e.message.is_empty() {
                    e.code
                } else {
                    e.message
                })),
            }
            self.busy.set(false);
        });
    }

    async fn reload(&self) {
        if let Ok(s) = crate::api::get::<Value>(self.routes.sitting.clone()).await {
            self.show(s);
        }
    }

    fn flush(self) {
        leptos::task::spawn_local(async move { self.flush_now().await });
    }

    /// Sends every answer waiting, oldest slot first; stops at the first
    /// the network refuses.
    async fn flush_now(&self) {
        let waiting = self.unsaved.get_untracked();
        for (slot, answer) in waiting {
            let body = json!({ "answer": answer });
            match crate::api::send_json("PUT", &self.routes.answer(slot), Some(&body), &self.csrf)
                .await
            {
                Ok(_) => {
                    self.offline.set(false);
                    self.unsaved.update(|u| {
                        if u.get(&slot) == Some(&answer) {
                            u.remove(&slot);
                        }
                    });
                    self.remember();
                }
                Err(e) if e.status == 0 || e.status >= 500 => {
                    self.offline.set(true);
                    return;
                }
                Err(e) if e.status == 409 => {
                    // Handed in or timed out meanwhile.
                    self.reload().await;
                    return;
                }
                Err(e) => {
                    self.unsaved.update(|u| {
                        u.remove(&slot);
                    });
                    self.error.set(Some(e.message));
                }
            }
        }
    }

    fn submit(self, unanswered: usize, l: Locale) {
        let question = if unanswered > 0 {
            l.t(Msg::ExamUnanswered)
                .replace("{n}", &unanswered.to_string())
        } else {
            l.t(Msg::ExamConfirm).to_owned()
        };
        if !super::form::confirmed(&question) {
            return;
        }
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            self.flush_now().await;
            if !self.unsaved.with_untracked(BTreeMap::is_empty) {
                self.error.set(Some(l.t(Msg::ExamNotSent).to_owned()));
                self.busy.set(false);
                return;
            }
            match crate::api::send_json("POST", &self.routes.submit, None, &self.csrf).await {
                Ok(s) => self.show(s),
                Err(e) if e.status == 409 => self.reload().await,
                Err(e) => self.error.set(Some(if e.message.is_empty() {
                    e.code
                } else {
                    e.message
                })),
            }
            self.busy.set(false);
        });
    }

    fn local_storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    /// Keeps the answers not yet sent on the device.
    fn remember(&self) {
        let waiting = self.unsaved.get_untracked();
        if let Some(st) = Self::local_storage() {
            if waiting.is_empty() {
                let _ = st.remove_item(&self.storage_key);
            } else if let Ok(text) = serde_json::to_string(&waiting) {
                let _ = st.set_item(&self.storage_key, &text);
            }
        }
    }

    fn forget(&self) {
        if let Some(st) = Self::local_storage() {
            let _ = st.remove_item(&self.storage_key);
        }
    }

    /// The answers a reload left unsent.
    fn recalled(&self) -> BTreeMap<u64, Value> {
        Self::local_storage()
            .and_then(|st| st.get_item(&self.storage_key).ok().flatten())
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_answers() {
        assert_eq!(clock_text(0), "00:00");
        assert_eq!(clock_text(61_500), "01:01");
        assert_eq!(clock_text(3_723_000), "1:02:03");
        assert_eq!(clock_text(-5), "00:00");
        assert!(answered(&json!({ "type": "options", "options": [1] })));
        assert!(!answered(&json!({ "type": "options", "options": [] })));
        assert!(answered(&json!({ "type": "truth", "truth": false })));
        assert!(!answered(&json!({ "type": "blanks", "blanks": ["", " "] })));
        assert!(answered(&json!({ "type": "text", "text": "要点" })));
        let s = json!({ "questions": [
            { "slot": 3, "answer": { "type": "truth", "truth": true } },
            { "slot": 1, "answer": null }
        ] });
        assert_eq!(answers_of(&s).keys().copied().collect::<Vec<_>>(), vec![3]);
    }
}
