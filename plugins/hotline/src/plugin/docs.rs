//! What the plugin stores: one document type per collection of the
//! manifest. The fields the manifest declares (for filters, sorting and the
//! KPI aggregates) are top-level; everything else rides along.
//!
//! | collection | document | `_hall` |
//! |---|---|---|
//! | `orders` | [`OrderDoc`]: the [`Order`] with intake data and KPI flags | the lead unit once dispatched, else none |
//! | `dispatches` | [`DispatchDoc`]: one per dispatch, reassignment or reopening | the unit it went to |
//! | `calls` | [`CallDoc`]: a call from offer to end | none |
//! | `callbacks` | [`CallbackDoc`]: one callback (回访) of an order | the order's lead |
//! | `supervisions` | [`SupervisionDoc`]: one per supervision level reached | the order's lead |
//! | `articles`, `article_versions`, `article_terms` | knowledge base | none |
//! | `state` | the seats ([`crate::calls::Seats`]) and daily order counters | none |

use bantong_sdk::storage::{self, Write};
use serde::{Deserialize, Serialize};

use crate::calls::Call;
use crate::order::{Order, State};

pub const ORDERS: &str = "orders";
pub const DISPATCHES: &str = "dispatches";
pub const CALLS: &str = "calls";
pub const CALLBACKS: &str = "callbacks";
pub const SUPERVISIONS: &str = "supervisions";
pub const ARTICLES: &str = "articles";
pub const ARTICLE_VERSIONS: &str = "article_versions";
pub const ARTICLE_TERMS: &str = "article_terms";
pub const STATE: &str = "state";

/// How a request reached the hotline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A call taken by an agent.
    Phone,
    /// The public web form.
    Web,
    /// The message API (SMS, WeChat, app gateways).
    Message,
}

/// A work order as stored.
/// A service item an order is about, as the catalogue named it at intake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceItemRef {
    /// 事项编码.
    pub code: String,
    pub name: String,
    /// 实施部门.
    pub department: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderDoc {
    #[serde(flatten)]
    pub order: Order,
    /// The service item (政务服务事项) the request is about, from the
    /// district's catalogue at intake.
    #[serde(default)]
    pub item: Option<ServiceItemRef>,
    pub channel: Channel,
    /// The caller's number with everything but digits removed: the key of
    /// the caller's history.
    pub caller_key: String,
    #[serde(default)]
    pub caller_name: Option<String>,
    /// The request in the caller's words.
    #[serde(default)]
    pub description: Option<String>,
    /// The hall the matter concerns, as recorded at intake.
    #[serde(default)]
    pub hall: Option<String>,
    /// The call it was taken from.
    #[serde(default)]
    pub call_id: Option<String>,
    /// The knowledge-base article the agent answered from.
    #[serde(default)]
    pub knowledge_article: Option<String>,
    /// Earlier open requests of the same caller and category (重复件) the
    /// web or message intake found; an agent decides whether to merge.
    #[serde(default)]
    pub repeat_of: Vec<String>,
    /// The order this one rectifies (整改单).
    #[serde(default)]
    pub rectification_of: Option<String>,
    /// 1 when the current dispatch was signed for by its sign-for deadline.
    #[serde(default)]
    pub signed_on_time: u8,
    /// 1 when the current dispatch was replied to by its deadline.
    #[serde(default)]
    pub replied_on_time: u8,
    /// 1 when a reached callback came at or after the reply.
    #[serde(default)]
    pub called_back: u8,
    /// The highest supervision level raised for the current deadline.
    #[serde(default)]
    pub supervision: u8,
    /// The last callback rating, 1-5.
    #[serde(default)]
    pub rating: Option<u8>,
    /// Open (0) or merged (1): the KPI deadline figures leave merged orders out.
    #[serde(default)]
    pub merged: u8,
    /// The id of the current dispatch record.
    #[serde(default)]
    pub current_dispatch: Option<String>,
}

impl OrderDoc {
    /// A new order as stored, with no flags set yet.
    pub fn new(order: Order, channel: Channel) -> OrderDoc {
        OrderDoc {
            caller_key: caller_key(&order.caller_number),
            order,
            item: None,
            channel,
            caller_name: None,
            description: None,
            hall: None,
            call_id: None,
            knowledge_article: None,
            repeat_of: Vec::new(),
            rectification_of: None,
            signed_on_time: 0,
            replied_on_time: 0,
            called_back: 0,
            supervision: 0,
            rating: None,
            merged: 0,
            current_dispatch: None,
        }
    }

    /// Recomputes the KPI flags from the order after a transition.
    pub fn refresh(&mut self) {
        let o = &self.order;
        self.signed_on_time = u8::from(matches!(
            (o.signed_ms, o.sign_due_ms),
            (Some(s), Some(d)) if s <= d
        ));
        self.replied_on_time = u8::from(matches!(
            (o.replied_ms, o.due_ms),
            (Some(r), Some(d)) if r <= d
        ));
        if o.replied_ms.is_none() {
            self.called_back = 0;
        }
        self.merged = u8::from(o.state == State::Merged);
    }

    /// The storage hall: the lead unit once dispatched.
    pub fn storage_hall(&self) -> Option<String> {
        self.order.lead.clone()
    }
}

/// One dispatch (派单, approved reassignment 改派, reopening 重办).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DispatchDoc {
    pub order: String,
    pub unit: String,
    pub category: String,
    pub start_ms: i64,
    /// 1 when it ended by an approved return (退单).
    pub returned: u8,
}

/// Where a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    /// Waiting for a free seat.
    Queued,
    /// Ringing at a seat.
    Ringing,
    /// Answered.
    Talking,
    /// Over.
    Ended,
}

/// A call as stored, from the first telephony event on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallDoc {
    pub status: CallStatus,
    pub caller_number: String,
    pub caller_key: String,
    #[serde(default)]
    pub seat: Option<String>,
    pub offered_ms: i64,
    #[serde(default)]
    pub answered_ms: Option<i64>,
    #[serde(default)]
    pub ended_ms: Option<i64>,
    #[serde(default)]
    pub recording: Option<String>,
    /// Recorded by the agent during wrap-up.
    #[serde(default)]
    pub hall: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub first_contact_resolved: bool,
    #[serde(default)]
    pub knowledge_article: Option<String>,
    /// Derived when the call ends, for the KPI aggregates (0/1 and ms).
    #[serde(default)]
    pub answered: u8,
    #[serde(default)]
    pub abandoned: u8,
    #[serde(default)]
    pub wait_ms: i64,
    #[serde(default)]
    pub answered_wait_ms: i64,
    #[serde(default)]
    pub handle_ms: i64,
    #[serde(default)]
    pub fcr: u8,
    /// A missed call that was called back (漏接回拨).
    #[serde(default)]
    pub called_back: u8,
    #[serde(default)]
    pub callback_note: Option<String>,
}

impl CallDoc {
    /// The call record the KPIs define, once it has ended.
    pub fn call(&self, id: &str) -> Option<Call> {
        Some(Call {
            id: id.to_owned(),
            caller_number: self.caller_number.clone(),
            seat: self.seat.clone(),
            hall: self.hall.clone(),
            category: self.category.clone(),
            offered_ms: self.offered_ms,
            answered_ms: self.answered_ms,
            ended_ms: self.ended_ms?,
            recording: self.recording.clone(),
            order_id: self.order_id.clone(),
            first_contact_resolved: self.first_contact_resolved,
            knowledge_article: self.knowledge_article.clone(),
        })
    }

    /// Recomputes the derived fields from the call record.
    pub fn refresh(&mut self, call: &Call) {
        let answered = call.handle_ms();
        self.answered = u8::from(answered.is_some());
        self.abandoned = u8::from(answered.is_none());
        self.wait_ms = call.wait_ms();
        self.answered_wait_ms = if answered.is_some() {
            call.wait_ms()
        } else {
            0
        };
        self.handle_ms = answered.unwrap_or(0);
        self.fcr = u8::from(answered.is_some() && call.first_contact_resolved);
    }
}

/// One callback (回访).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallbackDoc {
    pub order: String,
    pub at_ms: i64,
    pub reached: bool,
    #[serde(default)]
    pub score: Option<u8>,
    #[serde(default)]
    pub note: Option<String>,
    pub by: String,
    /// The order's lead unit and category when the callback was made.
    #[serde(default)]
    pub lead: Option<String>,
    pub category: String,
}

/// A supervision notice (督办单) raised for an order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SupervisionDoc {
    pub order: String,
    pub level: u8,
    pub reason: String,
    pub due_ms: i64,
    #[serde(default)]
    pub lead: Option<String>,
    pub category: String,
    pub at_ms: i64,
}

/// Digits of a phone number: the caller-history key.
pub fn caller_key(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// Takes the next number of the counter document `key` in `state`
/// (1, 2, 3 …). Two callers at the same instant clash on the document's
/// version: one gets a 409 and retries.
pub fn next_seq(key: &str) -> Result<u64, bantong_sdk::Error> {
    #[derive(Serialize, Deserialize)]
    struct Seq {
        n: u64,
    }
    let (n, write) = match storage::get::<Seq>(STATE, key)? {
        Some(doc) => (
            doc.body.n + 1,
            Write::new(Seq { n: doc.body.n + 1 })
                .id(key)
                .expected_version(doc.version),
        ),
        None => (1, Write::new(Seq { n: 1 }).id(key).create_only()),
    };
    storage::put(STATE, write)?;
    Ok(n)
}
