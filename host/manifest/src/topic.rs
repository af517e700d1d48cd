//! Dotted event topics (`hotline.order.created`) and patterns with `*` segments.
//!
//! A topic is one or more segments of `[a-z0-9_-]` joined by `.`; a pattern may
//! also use `*` for exactly one whole segment. There is no multi-segment
//! wildcard, so a pattern only ever matches topics with as many segments.

/// Longest topic or pattern accepted, in bytes.
pub const MAX_TOPIC_LEN: usize = 255;

fn is_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Why `pattern` is not a valid topic pattern, or `None` when it is.
pub fn pattern_problem(pattern: &str) -> Option<String> {
    check(pattern, true)
}

/// Why `topic` is not a valid concrete topic (no wildcards), or `None`.
pub fn topic_problem(topic: &str) -> Option<String> {
    check(topic, false)
}

fn check(text: &str, wildcards: bool) -> Option<String> {
    if text.is_empty() {
        return Some("must not be empty".to_owned());
    }
    if text.len() > MAX_TOPIC_LEN {
        return Some(format!("must be at most {MAX_TOPIC_LEN} bytes"));
    }
    for segment in text.split('.') {
        if segment == "*" {
            if !wildcards {
                return Some(format!(
                    "{text:?}: a topic cannot contain the wildcard \"*\""
                ));
            }
        } else if !is_segment(segment) {
            let allowed = if wildcards {
                "lowercase letters, digits, '_' or '-', or a single \"*\""
            } else {
                "lowercase letters, digits, '_' or '-'"
            };
            return Some(format!(
                "{text:?}: every dot-separated segment must be {allowed}"
            ));
        }
    }
    None
}

/// Whether `topic` matches `pattern`: same number of segments, each pattern
/// segment either `*` or equal to the topic's. Malformed input never matches.
pub fn topic_matches(pattern: &str, topic: &str) -> bool {
    if pattern_problem(pattern).is_some() || topic_problem(topic).is_some() {
        return false;
    }
    let mut topic_segments = topic.split('.');
    for want in pattern.split('.') {
        match topic_segments.next() {
            Some(have) if want == "*" || want == have => {}
            _ => return false,
        }
    }
    topic_segments.next().is_none()
}

/// Whether every topic matched by `inner` is also matched by `outer`, so that
/// allowing `outer` allows `inner`.
pub fn pattern_covers(outer: &str, inner: &str) -> bool {
    if pattern_problem(outer).is_some() || pattern_problem(inner).is_some() {
        return false;
    }
    let outer: Vec<&str> = outer.split('.').collect();
    let inner: Vec<&str> = inner.split('.').collect();
    outer.len() == inner.len() && outer.iter().zip(&inner).all(|(o, i)| *o == "*" || o == i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching() {
        assert!(topic_matches(
            "hotline.order.created",
            "hotline.order.created"
        ));
        assert!(topic_matches("hotline.*.created", "hotline.order.created"));
        assert!(topic_matches("*.*.*", "hotline.order.created"));
        assert!(!topic_matches("hotline.*", "hotline.order.created"));
        assert!(!topic_matches(
            "hotline.order.created.x",
            "hotline.order.created"
        ));
        assert!(!topic_matches("hotline.order", "hotline.order.created"));
        assert!(!topic_matches("hotline.*", "hotline.*"));
        assert!(!topic_matches("", ""));
        assert!(!topic_matches("a..b", "a..b"));
    }

    #[test]
    fn validation() {
        assert_eq!(pattern_problem("queue.ticket.*"), None);
        assert_eq!(pattern_problem("a_b.c-d.9"), None);
        assert_eq!(
            pattern_problem("queue.ti*"),
            Some(
                "\"queue.ti*\": every dot-separated segment must be lowercase letters, \
                 digits, '_' or '-', or a single \"*\""
                    .to_owned()
            )
        );
        assert!(pattern_problem("queue.").is_some());
        assert!(pattern_problem("Queue").is_some());
        assert!(pattern_problem("").is_some());
        assert!(pattern_problem(&"a".repeat(256)).is_some());
        assert!(topic_problem("queue.*").is_some());
        assert_eq!(topic_problem("queue.called"), None);
    }

    #[test]
    fn covering() {
        assert!(pattern_covers("hotline.*.*", "hotline.order.*"));
        assert!(pattern_covers(
            "hotline.order.created",
            "hotline.order.created"
        ));
        assert!(pattern_covers("*", "anything"));
        assert!(!pattern_covers("hotline.order.*", "hotline.*.*"));
        assert!(!pattern_covers("hotline.*", "hotline.order.created"));
        assert!(!pattern_covers("hotline.order.created", "hotline.order.*"));
    }
}
