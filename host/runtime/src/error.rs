//! Errors of the runtime: loading plugins, and failures of one call.

/// Failure to build the engine or to load a plugin.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not configure the wasm engine: {0}")]
    Engine(String),
    #[error("the artefact is not a valid component: {0}")]
    Compile(String),
    #[error("the component does not match world bantong:platform/module@0.1.0: {0}")]
    Link(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why one plugin call failed. Each variant fails only that call.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CallError {
    /// The call ran past its deadline and was interrupted.
    #[error("the plugin did not finish within {ms} ms")]
    Timeout { ms: u64 },
    /// The instance tried to grow its memory past its cap.
    #[error("the plugin exceeded its memory cap of {bytes} bytes")]
    MemoryLimit { bytes: usize },
    /// The guest trapped (panic, unreachable, out-of-bounds access...).
    #[error("the plugin trapped: {0}")]
    Trap(String),
    /// The request body was larger than the boundary cap (the caller's fault).
    #[error("the request body of {bytes} bytes exceeds the limit of {limit} bytes")]
    RequestTooLarge { bytes: usize, limit: usize },
    /// The plugin answered with more data than the boundary cap allows.
    #[error("the plugin's response of {bytes} bytes exceeds the limit of {limit} bytes")]
    ResponseTooLarge { bytes: usize, limit: usize },
    /// The plugin is quarantined after repeated failures.
    #[error("the plugin is quarantined after repeated failures")]
    Quarantined,
    /// A host import did not return in time (for example the database is
    /// locked); not the plugin's fault.
    #[error("the host could not complete the call in time")]
    HostStalled,
    /// No instance slot was free in time (the host is saturated).
    #[error("no instance slot became free in time")]
    Busy,
}

impl CallError {
    /// Stable machine-readable code, used in HTTP error bodies and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            CallError::Timeout { .. } => "plugin_timeout",
            CallError::MemoryLimit { .. } => "plugin_memory_limit",
            CallError::Trap(_) => "plugin_trap",
            CallError::RequestTooLarge { .. } => "payload_too_large",
            CallError::ResponseTooLarge { .. } => "plugin_response_too_large",
            CallError::Quarantined => "plugin_quarantined",
            CallError::Busy => "plugin_busy",
            CallError::HostStalled => "host_stalled",
        }
    }

    /// Whether this failure counts towards quarantine (the plugin's fault).
    pub fn is_plugin_fault(&self) -> bool {
        matches!(
            self,
            CallError::Timeout { .. }
                | CallError::MemoryLimit { .. }
                | CallError::Trap(_)
                | CallError::ResponseTooLarge { .. }
        )
    }
}
