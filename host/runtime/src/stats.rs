//! Per-plugin call counters and a latency histogram, lock-free, read by the
//! host's `/metrics` and by the quarantine rule.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::CallError;

/// Upper bounds (inclusive, milliseconds) of the latency histogram buckets.
pub const LATENCY_BUCKETS_MS: [f64; 12] = [
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0,
];

/// Counters of one plugin (all versions).
#[derive(Debug, Default)]
pub struct PluginStats {
    calls: AtomicU64,
    errors: AtomicU64,
    timeouts: AtomicU64,
    traps: AtomicU64,
    memory_limits: AtomicU64,
    rejected: AtomicU64,
    consecutive_failures: AtomicU64,
    latency_sum_us: AtomicU64,
    buckets: [AtomicU64; LATENCY_BUCKETS_MS.len()],
}

/// A consistent-enough copy of the counters for reporting.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StatsSnapshot {
    pub calls: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub traps: u64,
    pub memory_limits: u64,
    pub rejected: u64,
    pub consecutive_failures: u64,
    pub latency_sum_seconds: f64,
    /// Cumulative counts per bucket of [`LATENCY_BUCKETS_MS`].
    pub latency_buckets: Vec<u64>,
}

impl PluginStats {
    /// Records a finished call; returns the consecutive failure count.
    pub(crate) fn record(&self, elapsed: Duration, outcome: Result<(), &CallError>) -> u64 {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let us = elapsed.as_micros().min(u64::MAX as u128) as u64;
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
        let ms = us as f64 / 1000.0;
        if let Some(i) = LATENCY_BUCKETS_MS.iter().position(|b| ms <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        match outcome {
            Ok(()) => {
                self.consecutive_failures.store(0, Ordering::Relaxed);
                0
            }
            Err(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                match e {
                    CallError::Timeout { .. } => self.timeouts.fetch_add(1, Ordering::Relaxed),
                    CallError::MemoryLimit { .. } => {
                        self.memory_limits.fetch_add(1, Ordering::Relaxed)
                    }
                    _ => self.traps.fetch_add(1, Ordering::Relaxed),
                };
                if e.is_plugin_fault() {
                    self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1
                } else {
                    self.consecutive_failures.load(Ordering::Relaxed)
                }
            }
        }
    }

    /// Counts a call refused before it ran (quarantined or busy).
    pub(crate) fn record_rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reset_failures(&self) {
        self.consecutive_failures.store(0, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let mut cumulative = 0;
        let latency_buckets = self
            .buckets
            .iter()
            .map(|b| {
                cumulative += b.load(Ordering::Relaxed);
                cumulative
            })
            .collect();
        StatsSnapshot {
            calls: self.calls.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            traps: self.traps.load(Ordering::Relaxed),
            memory_limits: self.memory_limits.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            consecutive_failures: self.consecutive_failures.load(Ordering::Relaxed),
            latency_sum_seconds: self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6,
            latency_buckets,
        }
    }
}
