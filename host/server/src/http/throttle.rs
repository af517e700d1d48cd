//! Per-key limits on calls in a sliding window, in memory, per host
//! process: login attempts per client address (complementing the
//! per-account lockout, which an attacker spraying many accounts from one
//! address would never trigger), and anonymous calls to a plugin's public
//! routes per route and address (the manifest's `per-minute`).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Login attempts allowed per address per window.
pub const MAX_ATTEMPTS: usize = 20;
/// The window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Keys tracked before stale entries are swept.
const SWEEP_AT: usize = 10_000;

/// Calls per key within [`WINDOW`].
#[derive(Debug)]
pub struct Throttle<K> {
    seen: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K> Default for Throttle<K> {
    fn default() -> Self {
        Self {
            seen: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq> Throttle<K> {
    /// Records a call for `key` at `now`; `false` (and nothing recorded)
    /// when `max` calls were already made within the window.
    pub fn allow(&self, key: K, max: usize, now: Instant) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            return true;
        };
        if seen.len() >= SWEEP_AT {
            seen.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
        }
        let times = seen.entry(key).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            times.pop_front();
        }
        if times.len() >= max {
            return false;
        }
        times.push_back(now);
        true
    }
}

/// Login attempts per client address.
pub type LoginThrottle = Throttle<IpAddr>;

/// Anonymous calls per (plugin, route, client address).
pub type PublicThrottle = Throttle<(String, String, IpAddr)>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_within_the_window() {
        let t = LoginThrottle::default();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let start = Instant::now();
        for _ in 0..MAX_ATTEMPTS {
            assert!(t.allow(a, MAX_ATTEMPTS, start));
        }
        assert!(!t.allow(a, MAX_ATTEMPTS, start), "over the limit");
        assert!(
            t.allow(b, MAX_ATTEMPTS, start),
            "other addresses are unaffected"
        );
        assert!(
            t.allow(a, MAX_ATTEMPTS, start + WINDOW),
            "the window slides"
        );
    }

    #[test]
    fn public_routes_are_limited_per_route_and_address() {
        let t = PublicThrottle::default();
        let ip: IpAddr = [10, 0, 0, 1].into();
        let key = |route: &str| ("supervision".to_owned(), route.to_owned(), ip);
        let now = Instant::now();
        assert!(t.allow(key("POST /a"), 2, now));
        assert!(t.allow(key("POST /a"), 2, now));
        assert!(!t.allow(key("POST /a"), 2, now));
        assert!(
            t.allow(key("POST /b"), 2, now),
            "another route has its own count"
        );
    }
}
