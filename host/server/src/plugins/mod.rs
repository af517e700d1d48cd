//! Plugins in the host: the index of installed versions, their manager, the
//! call host that serves their imports, and the HTTP dispatch to them.

pub mod callhost;
pub mod dispatch;
pub mod manager;
pub mod registry;

pub use callhost::ServerCallHost;
pub use manager::{InstallReport, PluginError, PluginManager};
pub use registry::{InstalledVersion, PluginEntry, PluginIndex};
