//! A per-address limit on login attempts: a sliding window in memory, per
//! host process. Complements the per-account lockout (which an attacker
//! spraying many accounts from one address would never trigger).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Attempts allowed per address per window.
pub const MAX_ATTEMPTS: usize = 20;
/// The window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses tracked before old entries are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    seen: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// Records an attempt from `ip` at `now`; `false` when it is over the limit.
    pub fn allow(&self, ip: IpAddr, now: Instant) -> bool {
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
        let times = seen.entry(ip).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            times.pop_front();
        }
        if times.len() >= MAX_ATTEMPTS {
            return false;
        }
        times.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_within_the_window() {
        let t = LoginThrottle::default();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let start = Instant::now();
        for _ in 0..MAX_ATTEMPTS {
            assert!(t.allow(a, start));
        }
        assert!(!t.allow(a, start), "over the limit");
        assert!(t.allow(b, start), "other addresses are unaffected");
        assert!(t.allow(a, start + WINDOW), "the window slides");
    }
}
