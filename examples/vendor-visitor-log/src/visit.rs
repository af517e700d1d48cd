//! The visit record, the registration form's input, the hall's settings, and
//! the pure rules between them (validation, phone masking), testable anywhere.

use serde::{Deserialize, Serialize};

/// Whether the visitor is still in the hall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// 在厅
    In,
    /// 已离开
    Left,
}

/// One stored visit (collection `visits`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub name: String,
    pub purpose: String,
    /// Mainland mobile number; stored in full, answered masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub status: Status,
    /// Milliseconds since the Unix epoch.
    pub arrived_at: i64,
    #[serde(default)]
    pub left_at: Option<i64>,
    /// Username of the staff member who registered the visit.
    pub registered_by: String,
}

impl Visit {
    /// The visit as answered to clients: the phone number masked (`138****8000`).
    pub fn masked(mut self) -> Self {
        self.phone = self.phone.as_deref().map(mask_phone);
        self
    }
}

/// The body of `POST /visits`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVisit {
    pub name: String,
    pub purpose: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// The hall; defaults to the hall the request acts for.
    #[serde(default)]
    pub hall: Option<String>,
}

/// The plugin's configuration, resolved per hall (see `manifest.toml`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Registration requires a phone number.
    pub require_phone: bool,
    /// The purposes a visitor may choose from.
    pub purposes: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            require_phone: true,
            purposes: ["办理业务", "咨询", "投诉建议"]
                .into_iter()
                .map(String::from)
                .collect(),
        }
    }
}

/// Longest visitor name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 50;

impl NewVisit {
    /// Trims the input and checks it against the hall's settings; on failure
    /// every problem, each in Chinese and English.
    pub fn validate(mut self, settings: &Settings) -> Result<NewVisit, Vec<String>> {
        let mut problems = Vec::new();
        self.name = self.name.trim().to_owned();
        self.purpose = self.purpose.trim().to_owned();
        self.phone = self
            .phone
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty());

        let name_chars = self.name.chars().count();
        if name_chars == 0 {
            problems.push(String::from("姓名不能为空 / name is required"));
        } else if name_chars > MAX_NAME_CHARS {
            problems.push(format!(
                "姓名最多 {MAX_NAME_CHARS} 个字 / name is longer than {MAX_NAME_CHARS} characters"
            ));
        }
        if !settings.purposes.contains(&self.purpose) {
            problems.push(format!(
                "来访事由须为：{} / purpose must be one of: {}",
                settings.purposes.join("、"),
                settings.purposes.join(", ")
            ));
        }
        match &self.phone {
            None if settings.require_phone => {
                problems.push(String::from("请填写手机号 / phone is required"));
            }
            Some(phone) if !is_mainland_mobile(phone) => {
                problems.push(String::from(
                    "手机号须为 11 位大陆手机号码 / phone must be an 11-digit mainland mobile number",
                ));
            }
            _ => {}
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(problems)
        }
    }
}

/// `^1[3-9][0-9]{9}$`: an 11-digit mainland China mobile number.
pub fn is_mainland_mobile(phone: &str) -> bool {
    let b = phone.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// `13800138000` → `138****8000`; anything else → `****`.
pub fn mask_phone(phone: &str) -> String {
    if is_mainland_mobile(phone) {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        String::from("****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, purpose: &str, phone: Option<&str>) -> NewVisit {
        NewVisit {
            name: name.into(),
            purpose: purpose.into(),
            phone: phone.map(Into::into),
            hall: None,
        }
    }

    #[test]
    fn mobile_numbers() {
        for ok in ["13800138000", "19912345678", "15000000000"] {
            assert!(is_mainland_mobile(ok), "{ok}");
        }
        for bad in [
            "",
            "1380013800",
            "138001380000",
            "12800138000",
            "23800138000",
            "1380013800x",
            "１３８００１３８０００",
        ] {
            assert!(!is_mainland_mobile(bad), "{bad}");
        }
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("bad"), "****");
    }

    #[test]
    fn valid_input_is_trimmed() {
        let v = input("  张三 ", " 咨询", Some(" 13800138000 "))
            .validate(&Settings::default())
            .unwrap();
        assert_eq!(
            (v.name.as_str(), v.purpose.as_str(), v.phone.as_deref()),
            ("张三", "咨询", Some("13800138000"))
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let problems = input(" ", "闲逛", Some("12345"))
            .validate(&Settings::default())
            .unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("name is required"));
        assert!(problems[1].contains("办理业务、咨询、投诉建议"));
        assert!(problems[2].contains("11-digit"));
        let long = "长".repeat(MAX_NAME_CHARS + 1);
        assert!(
            input(&long, "咨询", Some("13800138000"))
                .validate(&Settings::default())
                .is_err()
        );
    }

    #[test]
    fn phone_requirement_follows_settings() {
        let strict = Settings::default();
        assert!(input("李四", "咨询", None).validate(&strict).is_err());
        assert!(input("李四", "咨询", Some("")).validate(&strict).is_err());
        let relaxed = Settings {
            require_phone: false,
            purposes: vec!["取件".into()],
        };
        assert!(input("李四", "取件", None).validate(&relaxed).is_ok());
        assert!(
            input("李四", "取件", Some("123"))
                .validate(&relaxed)
                .is_err()
        );
    }

    #[test]
    fn settings_default_per_field() {
        let s: Settings = serde_json::from_str(r#"{"require_phone": false}"#).unwrap();
        assert_eq!(s.purposes, Settings::default().purposes);
        assert!(!s.require_phone);
    }

    #[test]
    fn visits_round_trip_and_mask() {
        let v = Visit {
            name: "王五".into(),
            purpose: "咨询".into(),
            phone: Some("13800138000".into()),
            status: Status::In,
            arrived_at: 1,
            left_at: None,
            registered_by: "staff".into(),
        };
        let json = serde_json::to_value(v.clone().masked()).unwrap();
        assert_eq!(json["phone"], "138****8000");
        assert_eq!(json["status"], "in");
        let back: Visit = serde_json::from_value(serde_json::to_value(&v).unwrap()).unwrap();
        assert_eq!(back, v);
    }
}
