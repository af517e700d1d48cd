//! Camera review (视频巡查): alerts from the halls — a window left
//! unattended, crowding, a device fault — become *candidate* findings with
//! their snapshot. Nothing becomes a finding by itself: a person confirms a
//! candidate (it goes on the hall's 问题清单 as a problem, with the
//! snapshot as evidence) or dismisses it with a reason.
//!
//! A bad rating (`alert.haocha-bad`) is not a camera candidate: it opens a
//! 差评 follow-up ([`crate::followup`]), whose verification is the human
//! step that decides whether it is a problem.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A hall event as the host delivers it (envelope version 1).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Envelope {
    /// Envelope version.
    pub v: u32,
    /// Edge agent id.
    pub agent: String,
    /// The hall the agent is registered to (set by the host).
    pub hall: String,
    /// The agent's sequence number: with `agent`, the idempotency key.
    pub seq: u64,
    /// The kind, e.g. `alert.crowding`.
    pub kind: String,
    /// What it is about.
    #[serde(default)]
    pub subject: Option<String>,
    /// Agent clock (ms).
    pub ts_ms: i64,
    /// The kind's data.
    #[serde(default)]
    pub data: Value,
    /// SHA-256 of the snapshot, if any.
    #[serde(default)]
    pub attachment: Option<String>,
}

impl Envelope {
    /// The idempotency key `<agent>-<seq>`.
    pub fn key(&self) -> String {
        format!("{}-{}", self.agent, self.seq)
    }
}

/// Where a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 待确认.
    Pending,
    /// 已确认: a problem was opened.
    Confirmed,
    /// 已排除.
    Dismissed,
}

impl Status {
    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Status::Pending => "待确认",
            Status::Confirmed => "已确认",
            Status::Dismissed => "已排除",
        }
    }
}

/// A candidate finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The hall.
    pub hall: String,
    /// The alert kind without `alert.` (`window-unattended`, …).
    pub alert: String,
    /// Its subject (camera/region, device).
    #[serde(default)]
    pub subject: Option<String>,
    /// When the hall saw it (agent clock).
    pub at_ms: i64,
    /// The checklist item it would fail.
    pub item: String,
    /// The item's category (问题分类).
    pub category: String,
    /// A title for the problem.
    pub title: String,
    /// What was seen, in Chinese.
    pub description: String,
    /// The snapshot's SHA-256, if any.
    #[serde(default)]
    pub snapshot: Option<String>,
    /// Where it is.
    pub status: Status,
    /// Who decided, when, and why.
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub decided_ms: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
    /// The problem opened on confirmation.
    #[serde(default)]
    pub problem: Option<String>,
}

fn text(data: &Value, key: &str) -> String {
    data.get(key)
        .and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_i64().map(|n| n.to_string()))
        })
        .unwrap_or_default()
}

/// The candidate an alert makes, or `None` for alerts that are not
/// findings (a bad rating, or a kind this version does not know).
pub fn from_alert(ev: &Envelope) -> Option<Candidate> {
    let alert = ev.kind.strip_prefix("alert.")?;
    let d = &ev.data;
    let (item, category, title, description) = match alert {
        "window-unattended" => {
            let mins = d.get("empty_s").and_then(Value::as_i64).unwrap_or(0) / 60;
            (
                "1.6",
                "人员管理",
                "窗口空岗",
                format!(
                    "摄像头 {} 区域 {} 无人值守约 {mins} 分钟",
                    text(d, "camera"),
                    text(d, "region")
                ),
            )
        }
        "crowding" => (
            "7.1",
            "秩序管理",
            "人员聚集",
            format!(
                "摄像头 {} 区域 {} 聚集约 {} 人",
                text(d, "camera"),
                text(d, "region"),
                text(d, "people")
            ),
        ),
        "device-fault" => {
            let detail = text(d, "detail");
            (
                "2.2",
                "现场管理",
                "设备故障",
                format!(
                    "设备 {}（{}）故障{}",
                    text(d, "device"),
                    text(d, "class"),
                    if detail.is_empty() {
                        String::new()
                    } else {
                        format!("：{detail}")
                    }
                ),
            )
        }
        "peripheral-offline" => (
            "2.2",
            "现场管理",
            "外设离线",
            format!(
                "外设控制器 {} 离线：{}",
                text(d, "controller"),
                text(d, "reason")
            ),
        ),
        _ => return None,
    };
    Some(Candidate {
        hall: ev.hall.clone(),
        alert: alert.to_owned(),
        subject: ev.subject.clone(),
        at_ms: ev.ts_ms,
        item: item.to_owned(),
        category: category.to_owned(),
        title: title.to_owned(),
        description,
        snapshot: ev.attachment.clone(),
        status: Status::Pending,
        decided_by: None,
        decided_ms: None,
        reason: None,
        problem: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(kind: &str, data: Value) -> Envelope {
        serde_json::from_value(json!({
            "v": 1, "agent": "bailou-cams", "hall": "bailou", "seq": 7, "kind": kind,
            "source": "camera-watch", "subject": "cam-1/window-3-seat", "ts_ms": 1_000,
            "data": data, "attachment": "c".repeat(64)
        }))
        .unwrap()
    }

    #[test]
    fn camera_and_device_alerts_become_candidates() {
        let c = from_alert(&envelope(
            "alert.window-unattended",
            json!({"camera":"cam-1","region":"window-3-seat","empty_s":305}),
        ))
        .unwrap();
        assert_eq!(
            (c.item.as_str(), c.category.as_str(), c.status),
            ("1.6", "人员管理", Status::Pending)
        );
        assert_eq!(
            c.description,
            "摄像头 cam-1 区域 window-3-seat 无人值守约 5 分钟"
        );
        assert_eq!(c.snapshot.as_deref().map(str::len), Some(64));
        let c = from_alert(&envelope(
            "alert.device-fault",
            json!({"device":"receipt-1","class":"receipt-printer","healthy":false,"detail":"缺纸"}),
        ))
        .unwrap();
        assert_eq!(c.description, "设备 receipt-1（receipt-printer）故障：缺纸");
        assert_eq!(envelope("alert.crowding", json!({})).key(), "bailou-cams-7");
    }

    #[test]
    fn bad_ratings_and_unknown_kinds_are_not_candidates() {
        assert!(from_alert(&envelope("alert.haocha-bad", json!({}))).is_none());
        assert!(from_alert(&envelope("alert.something-new", json!({}))).is_none());
        assert!(from_alert(&envelope("queue.ticket", json!({}))).is_none());
    }
}
