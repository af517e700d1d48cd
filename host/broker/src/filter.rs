//! Topic names and filters: validation, matching, and whether one filter
//! is covered by another (the access-control question "may a client whose
//! rights are `bantong/v1/agent/a1/down/#` subscribe to `…/a1/down/+`?").

/// Longest topic accepted, in bytes. MQTT allows 65,535; nothing in Bantong
/// comes close, and a short cap keeps the router's work per message small.
pub const MAX_TOPIC_BYTES: usize = 512;

/// Most levels in a topic or filter.
pub const MAX_LEVELS: usize = 16;

/// A topic a message is published to: no wildcards, no NUL, not empty.
pub fn valid_topic(topic: &str) -> bool {
    !topic.is_empty()
        && topic.len() <= MAX_TOPIC_BYTES
        && !topic.contains(['+', '#', '\0'])
        && topic.split('/').count() <= MAX_LEVELS
}

/// A subscription filter: `+` only as a whole level, `#` only as the whole
/// last level.
pub fn valid_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.len() > MAX_TOPIC_BYTES || filter.contains('\0') {
        return false;
    }
    let levels: Vec<&str> = filter.split('/').collect();
    if levels.len() > MAX_LEVELS {
        return false;
    }
    let last = levels.len() - 1;
    levels.iter().enumerate().all(|(i, level)| match *level {
        "#" => i == last,
        "+" => true,
        other => !other.contains(['+', '#']),
    })
}

/// Whether `topic` matches `filter`. Topics starting with `$` are not
/// matched by a filter starting with a wildcard (MQTT-4.7.2-1).
pub fn matches(topic: &str, filter: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut t = topic.split('/');
    for f in filter.split('/') {
        match (f, t.next()) {
            ("#", _) => return true,
            ("+", Some(_)) => {}
            (f, Some(level)) if f == level => {}
            _ => return false,
        }
    }
    t.next().is_none()
}

/// Whether every topic matched by `requested` is also matched by `allowed`.
pub fn covers(allowed: &str, requested: &str) -> bool {
    let mut r = requested.split('/');
    for a in allowed.split('/') {
        match (a, r.next()) {
            ("#", _) => return true,
            // `+` covers one level of anything but a multi-level wildcard.
            ("+", Some(level)) if level != "#" => {}
            (a, Some(level)) if a == level && a != "+" => {}
            _ => return false,
        }
    }
    r.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(valid_topic("bantong/v1/agent/a1/up/events"));
        assert!(!valid_topic("a/+/b"));
        assert!(!valid_topic("a/#"));
        assert!(!valid_topic(""));
        assert!(valid_filter("a/+/b/#"));
        assert!(valid_filter("#"));
        assert!(!valid_filter("a/#/b"));
        assert!(!valid_filter("a/b+"));
        assert!(!valid_filter(&"a/".repeat(20)));
    }

    #[test]
    fn matching() {
        assert!(matches("a/b/c", "a/+/c"));
        assert!(matches("a/b/c", "a/#"));
        assert!(matches("a", "a/#"));
        assert!(!matches("a/b", "a/b/c"));
        assert!(!matches("a/b/c", "a/b"));
        assert!(!matches("$SYS/x", "#"));
        assert!(matches("$SYS/x", "$SYS/#"));
    }

    #[test]
    fn coverage() {
        let own = "bantong/v1/agent/a1/down/#";
        assert!(covers(own, "bantong/v1/agent/a1/down/#"));
        assert!(covers(own, "bantong/v1/agent/a1/down/+"));
        assert!(covers(own, "bantong/v1/agent/a1/down/ack"));
        assert!(!covers(own, "bantong/v1/agent/a2/down/ack"));
        assert!(!covers(own, "bantong/v1/agent/+/down/ack"));
        assert!(!covers(own, "bantong/v1/agent/#"));
        assert!(!covers(own, "#"));
        assert!(covers("a/+/c", "a/b/c"));
        assert!(covers("a/+/c", "a/+/c"));
        assert!(!covers("a/+/c", "a/#"));
        assert!(!covers("a/b", "a/b/c"));
    }
}
