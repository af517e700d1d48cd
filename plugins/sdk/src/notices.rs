//! Messages to people (since WIT 0.1.1): a text message through the
//! district's SMS gateway, or a notice in a user's portal. Needs the
//! `notices` capability.
//!
//! A notice is queued with the call's other writes: it goes out only if
//! the call succeeds. The host limits how many a plugin may queue per
//! minute (the error is then [`crate::Error`] `unavailable`), sends them
//! afterwards, retries a gateway that is down, and audits every message.
//!
//! ```ignore
//! notices::sms("13812345678", "您反映的路灯问题已办结，请对办理结果评价。", "hotline.callback", Some("bailou"))?;
//! notices::portal(&user_id, "百楼镇有2项整改即将到期。", "supervision.deadline", None)?;
//! ```

use crate::bindings::bantong::platform::notices as wit;
use crate::error::Error;

/// Queues a text message to a mainland mobile number (11 digits); answers
/// the notice's id. `topic` says what it is about (`hotline.callback`).
pub fn sms(to: &str, text: &str, topic: &str, hall: Option<&str>) -> Result<String, Error> {
    send(wit::Channel::Sms, to, text, topic, hall)
}

/// Queues a notice in the portal of the user with id `user_id`.
pub fn portal(user_id: &str, text: &str, topic: &str, hall: Option<&str>) -> Result<String, Error> {
    send(wit::Channel::Portal, user_id, text, topic, hall)
}

fn send(
    channel: wit::Channel,
    to: &str,
    text: &str,
    topic: &str,
    hall: Option<&str>,
) -> Result<String, Error> {
    wit::send(&wit::Notice {
        channel,
        to: to.to_owned(),
        text: text.to_owned(),
        topic: topic.to_owned(),
        hall: hall.map(str::to_owned),
    })
    .map_err(Error::from)
}
