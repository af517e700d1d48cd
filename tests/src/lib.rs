//! Integration test crate.
