//! Per-call store data and the bridge from WIT imports to the embedder.
//!
//! Every privileged import lands in a [`CallHost`] method. The runtime checks
//! only what is independent of the embedder (sizes crossing the boundary);
//! grants, hall scope and storage are the embedder's business.

use std::future::Future;

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Result as WtResult};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::wit::traits::{
    audit, blobs, calendar, catalogue, clock, config, directory, documents, events, log, modules,
    notices, storage, types,
};
use crate::bindings::wit::{
    AggregateQuery, Arrangement, BlobRef, DirectoryHall, DirectoryPerson, Document, DocumentFormat,
    DocumentQuery, Group, HostError, Level, Notice, Page, PageImages, Published, Write,
};

/// What the embedder provides to one plugin call.
///
/// The host implements it over its database unit of work and the plugin's
/// grant; the edge agent over its local store and uplink. Methods return the
/// WIT error variant for refusals the plugin should see; they never trap.
pub trait CallHost: Send + 'static {
    fn storage_get(
        &mut self,
        collection: String,
        id: String,
    ) -> impl Future<Output = Result<Option<Document>, HostError>> + Send;
    fn storage_put(
        &mut self,
        collection: String,
        doc: Write,
    ) -> impl Future<Output = Result<Document, HostError>> + Send;
    fn storage_delete(
        &mut self,
        collection: String,
        id: String,
        expected_version: Option<u64>,
    ) -> impl Future<Output = Result<bool, HostError>> + Send;
    fn storage_query(
        &mut self,
        query: DocumentQuery,
    ) -> impl Future<Output = Result<Page, HostError>> + Send;
    fn storage_aggregate(
        &mut self,
        query: AggregateQuery,
    ) -> impl Future<Output = Result<Vec<Group>, HostError>> + Send;
    fn publish(
        &mut self,
        topic: String,
        hall: Option<String>,
        payload: String,
    ) -> impl Future<Output = Result<String, HostError>> + Send;
    /// Stores a blob. The default refuses: an embedder without blob storage
    /// need not implement it.
    fn blob_put(
        &mut self,
        content_type: String,
        content: Vec<u8>,
    ) -> impl Future<Output = Result<BlobRef, HostError>> + Send {
        let _ = (content_type, content);
        async {
            Err(HostError::Denied(
                "blob storage is not available here".into(),
            ))
        }
    }
    /// Reads a blob.
    fn blob_get(
        &mut self,
        sha256: String,
    ) -> impl Future<Output = Result<Option<(BlobRef, Vec<u8>)>, HostError>> + Send {
        let _ = sha256;
        async {
            Err(HostError::Denied(
                "blob storage is not available here".into(),
            ))
        }
    }
    /// The plugin's resolved config for the call's hall, as JSON text.
    fn config(&mut self) -> String;
    /// One structured log record from the plugin.
    fn log(&mut self, level: Level, message: String, fields: Vec<(String, String)>);
    /// Milliseconds since the Unix epoch.
    fn now_ms(&mut self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default()
    }
    /// The district's UTC offset in minutes.
    fn utc_offset_minutes(&mut self) -> i32 {
        480
    }
    /// Queues a notice to a person (checked for size by the runtime). The
    /// default refuses: an embedder without notices need not implement it.
    fn notice_send(
        &mut self,
        notice: Notice,
    ) -> impl Future<Output = Result<String, HostError>> + Send {
        let _ = notice;
        async { Err(HostError::Denied("notices are not available here".into())) }
    }
    /// Renders a document description as a file and stores it. The
    /// default refuses.
    fn document_render(
        &mut self,
        format: DocumentFormat,
        spec: String,
        hall: Option<String>,
    ) -> impl Future<Output = Result<BlobRef, HostError>> + Send {
        let _ = (format, spec, hall);
        async { Err(HostError::Denied("documents are not available here".into())) }
    }
    /// Renders a document description as its PDF's pages in PNG images
    /// and stores each (since 0.1.5). The default refuses.
    fn document_render_pages(
        &mut self,
        spec: String,
        hall: Option<String>,
        first: u32,
    ) -> impl Future<Output = Result<PageImages, HostError>> + Send {
        let _ = (spec, hall, first);
        async { Err(HostError::Denied("documents are not available here".into())) }
    }
    /// The district's holiday arrangements of the years `first..=last`
    /// (the runtime has already limited the span to
    /// [`MAX_CALENDAR_YEARS`]). The default has none: every year is
    /// unconfigured.
    fn calendar_arrangements(
        &mut self,
        first: i32,
        last: i32,
    ) -> impl Future<Output = Vec<Arrangement>> + Send {
        let _ = (first, last);
        async { Vec::new() }
    }
    /// The district's current service catalogue. The default has none.
    fn catalogue_current(&mut self) -> impl Future<Output = Option<Published>> + Send {
        async { None }
    }
    /// The current catalogue version's number. The default has none.
    fn catalogue_version(&mut self) -> impl Future<Output = Option<u64>> + Send {
        async { None }
    }
    /// Every hall of the district, ordered by code (public: no capability).
    /// The default has none.
    fn directory_halls(&mut self) -> impl Future<Output = Vec<DirectoryHall>> + Send {
        async { Vec::new() }
    }
    /// The enabled people holding `role`, ordered by username (the
    /// runtime has already refused an over-long role). Needs the
    /// `directory` capability. The default refuses: an embedder without a
    /// directory need not implement it.
    fn directory_people(
        &mut self,
        role: String,
    ) -> impl Future<Output = Result<Vec<DirectoryPerson>, HostError>> + Send {
        let _ = role;
        async {
            Err(HostError::Denied(
                "the directory is not available here".into(),
            ))
        }
    }
    /// Keeps an audit note for the call's record (the runtime has checked
    /// the action's form, the detail's size and the count). The default
    /// drops it: an embedder without an audit log need not implement it.
    fn audit_note(&mut self, action: String, detail: serde_json::Value) {
        let _ = (action, detail);
    }
    /// The installed and enabled version of module plugin `plugin`, when
    /// the caller's read of it is granted. The default refuses: an
    /// embedder without other modules need not implement it.
    fn module_installed(
        &mut self,
        plugin: String,
    ) -> impl Future<Output = Result<Option<String>, HostError>> + Send {
        let _ = plugin;
        async {
            Err(HostError::Denied(
                "reads of other modules are not available here".into(),
            ))
        }
    }
    /// `GET target` of module plugin `plugin` (the runtime has already
    /// refused an over-long target); answers a 2xx reply's body. The
    /// default refuses.
    fn module_get(
        &mut self,
        plugin: String,
        target: String,
    ) -> impl Future<Output = Result<Vec<u8>, HostError>> + Send {
        let _ = (plugin, target);
        async {
            Err(HostError::Denied(
                "reads of other modules are not available here".into(),
            ))
        }
    }
}

/// Longest notice text accepted from a plugin, in characters.
pub const MAX_NOTICE_CHARS: usize = 500;

/// Most years one `calendar.arrangements` call answers.
pub const MAX_CALENDAR_YEARS: i32 = 20;

/// Longest role name accepted by `directory.people`, in bytes (role names
/// are short kebab-case words).
pub const MAX_ROLE_BYTES: usize = 64;

/// Longest audit note action, in bytes.
pub const MAX_AUDIT_ACTION_BYTES: usize = 64;

/// Largest audit note detail (JSON text), in bytes.
pub const MAX_AUDIT_DETAIL_BYTES: usize = 4096;

/// Most audit notes one call keeps.
pub const MAX_AUDIT_NOTES: usize = 16;

/// Longest plugin id accepted by `modules`, in bytes.
pub const MAX_PLUGIN_ID_BYTES: usize = 64;

/// Longest target (path and query) accepted by `modules.get`, in bytes.
pub const MAX_MODULE_TARGET_BYTES: usize = 2048;

/// Largest `wasi:random` request served.
const MAX_RANDOM_BYTES: u64 = 64 * 1024;

/// Longest log field value kept.
const MAX_LOG_FIELD: usize = 512;

/// Longest log message kept; longer ones are cut at a character boundary.
const MAX_LOG_MESSAGE: usize = 4096;

/// The data of one wasmtime store: one plugin call.
pub struct HostState<H> {
    pub(crate) host: H,
    /// Created on first use: most calls never touch WASI, and building a
    /// context per call is a measurable part of a call's cost.
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    pub(crate) limiter: MemoryCap,
    /// Largest JSON text or byte list accepted from the guest in one import.
    pub(crate) boundary_bytes: usize,
    /// Audit notes kept so far in this call.
    audit_notes: usize,
}

impl<H> HostState<H> {
    pub(crate) fn new(host: H, memory_bytes: usize, boundary_bytes: usize) -> Self {
        HostState {
            host,
            wasi: None,
            table: ResourceTable::new(),
            limiter: MemoryCap::new(memory_bytes),
            boundary_bytes,
            audit_notes: 0,
        }
    }

    /// Gives the embedder's call host back after the call.
    pub fn into_host(self) -> H {
        self.host
    }

    fn check_size(&self, what: &str, len: usize) -> Result<(), HostError> {
        if len > self.boundary_bytes {
            Err(HostError::Invalid(format!(
                "{what} is {len} bytes, more than the limit of {} bytes",
                self.boundary_bytes
            )))
        } else {
            Ok(())
        }
    }
}

/// The WASI context every plugin gets (district and edge alike): no
/// preopens, no environment, no arguments, no network, no stdio, and
/// `wasi:random` capped per request.
pub(crate) fn deny_all_wasi() -> WasiCtx {
    let mut b = WasiCtx::builder();
    b.allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .max_random_size(MAX_RANDOM_BYTES);
    b.build()
}

impl<H: Send> WasiView for HostState<H> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let ctx = self.wasi.get_or_insert_with(deny_all_wasi);
        WasiCtxView {
            ctx,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory and tables of one instance and remembers whether the
/// cap was hit, so a resulting trap is reported as a memory-limit failure.
pub(crate) struct MemoryCap {
    max_bytes: usize,
    pub(crate) hit: bool,
}

impl MemoryCap {
    pub(crate) fn new(max_bytes: usize) -> Self {
        MemoryCap {
            max_bytes,
            hit: false,
        }
    }
}

/// Upper bound on table elements; plugins need a few thousand at most.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> WtResult<bool> {
        if desired > self.max_bytes {
            self.hit = true;
            return Err(wasmtime::Error::msg(format!(
                "memory cap of {} bytes exceeded (wanted {desired})",
                self.max_bytes
            )));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> WtResult<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

impl<H: CallHost> types::Host for HostState<H> {}

impl<H: CallHost> storage::Host for HostState<H> {
    async fn get(
        &mut self,
        collection: String,
        id: String,
    ) -> WtResult<Result<Option<Document>, HostError>> {
        Ok(self.host.storage_get(collection, id).await)
    }

    async fn put(
        &mut self,
        collection: String,
        doc: Write,
    ) -> WtResult<Result<Document, HostError>> {
        if let Err(e) = self.check_size("document body", doc.body.len()) {
            return Ok(Err(e));
        }
        Ok(self.host.storage_put(collection, doc).await)
    }

    async fn delete(
        &mut self,
        collection: String,
        id: String,
        expected_version: Option<u64>,
    ) -> WtResult<Result<bool, HostError>> {
        Ok(self
            .host
            .storage_delete(collection, id, expected_version)
            .await)
    }

    async fn query(&mut self, q: DocumentQuery) -> WtResult<Result<Page, HostError>> {
        Ok(self.host.storage_query(q).await)
    }

    async fn aggregate(&mut self, q: AggregateQuery) -> WtResult<Result<Vec<Group>, HostError>> {
        Ok(self.host.storage_aggregate(q).await)
    }
}

impl<H: CallHost> blobs::Host for HostState<H> {
    async fn put(
        &mut self,
        content_type: String,
        content: Vec<u8>,
    ) -> WtResult<Result<BlobRef, HostError>> {
        if let Err(e) = self.check_size("blob", content.len()) {
            return Ok(Err(e));
        }
        Ok(self.host.blob_put(content_type, content).await)
    }

    async fn get(
        &mut self,
        sha256: String,
    ) -> WtResult<Result<Option<(BlobRef, Vec<u8>)>, HostError>> {
        Ok(self.host.blob_get(sha256).await)
    }
}

impl<H: CallHost> events::Host for HostState<H> {
    async fn publish(
        &mut self,
        topic: String,
        hall: Option<String>,
        payload: String,
    ) -> WtResult<Result<String, HostError>> {
        if let Err(e) = self.check_size("event payload", payload.len()) {
            return Ok(Err(e));
        }
        Ok(self.host.publish(topic, hall, payload).await)
    }
}

impl<H: CallHost> config::Host for HostState<H> {
    async fn get(&mut self) -> WtResult<String> {
        Ok(self.host.config())
    }
}

impl<H: CallHost> clock::Host for HostState<H> {
    async fn now(&mut self) -> WtResult<i64> {
        Ok(self.host.now_ms())
    }

    async fn utc_offset_minutes(&mut self) -> WtResult<i32> {
        Ok(self.host.utc_offset_minutes())
    }
}

impl<H: CallHost> calendar::Host for HostState<H> {
    async fn arrangements(&mut self, first: i32, last: i32) -> WtResult<Vec<Arrangement>> {
        if last < first {
            return Ok(Vec::new());
        }
        let last = last.min(first.saturating_add(MAX_CALENDAR_YEARS - 1));
        Ok(self.host.calendar_arrangements(first, last).await)
    }
}

impl<H: CallHost> catalogue::Host for HostState<H> {
    async fn current(&mut self) -> WtResult<Option<Published>> {
        Ok(self.host.catalogue_current().await)
    }

    async fn version(&mut self) -> WtResult<Option<u64>> {
        Ok(self.host.catalogue_version().await)
    }
}

impl<H: CallHost> directory::Host for HostState<H> {
    async fn halls(&mut self) -> WtResult<Vec<DirectoryHall>> {
        Ok(self.host.directory_halls().await)
    }

    async fn people(&mut self, role: String) -> WtResult<Result<Vec<DirectoryPerson>, HostError>> {
        if role.len() > MAX_ROLE_BYTES {
            return Ok(Err(HostError::Invalid(format!(
                "a role name has at most {MAX_ROLE_BYTES} bytes"
            ))));
        }
        Ok(self.host.directory_people(role).await)
    }
}

impl<H: CallHost> audit::Host for HostState<H> {
    async fn note(&mut self, action: String, detail: String) -> WtResult<Result<(), HostError>> {
        let action_ok = !action.is_empty()
            && action.len() <= MAX_AUDIT_ACTION_BYTES
            && action
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if !action_ok {
            return Ok(Err(HostError::Invalid(format!(
                "an audit action is 1 to {MAX_AUDIT_ACTION_BYTES} bytes of a-z, 0-9, '.', '_' and '-'"
            ))));
        }
        if detail.len() > MAX_AUDIT_DETAIL_BYTES {
            return Ok(Err(HostError::Invalid(format!(
                "an audit note's detail has at most {MAX_AUDIT_DETAIL_BYTES} bytes"
            ))));
        }
        let detail: serde_json::Value = match serde_json::from_str(&detail) {
            Ok(v @ serde_json::Value::Object(_)) => v,
            _ => {
                return Ok(Err(HostError::Invalid(
                    "an audit note's detail is a JSON object".into(),
                )));
            }
        };
        if self.audit_notes >= MAX_AUDIT_NOTES {
            return Ok(Err(HostError::Invalid(format!(
                "at most {MAX_AUDIT_NOTES} audit notes per call"
            ))));
        }
        self.audit_notes += 1;
        self.host.audit_note(action, detail);
        Ok(Ok(()))
    }
}

impl<H: CallHost> modules::Host for HostState<H> {
    async fn installed(&mut self, plugin: String) -> WtResult<Result<Option<String>, HostError>> {
        if plugin.len() > MAX_PLUGIN_ID_BYTES {
            return Ok(Err(HostError::Invalid(format!(
                "a plugin id has at most {MAX_PLUGIN_ID_BYTES} bytes"
            ))));
        }
        Ok(self.host.module_installed(plugin).await)
    }

    async fn get(
        &mut self,
        plugin: String,
        target: String,
    ) -> WtResult<Result<Vec<u8>, HostError>> {
        if plugin.len() > MAX_PLUGIN_ID_BYTES || target.len() > MAX_MODULE_TARGET_BYTES {
            return Ok(Err(HostError::Invalid(format!(
                "a plugin id has at most {MAX_PLUGIN_ID_BYTES} bytes and a target at most {MAX_MODULE_TARGET_BYTES}"
            ))));
        }
        let body = match self.host.module_get(plugin, target).await {
            Ok(body) => body,
            Err(e) => return Ok(Err(e)),
        };
        // What crosses into the reader is bounded like everything else.
        if let Err(e) = self.check_size("module reply", body.len()) {
            return Ok(Err(e));
        }
        Ok(Ok(body))
    }
}

impl<H: CallHost> documents::Host for HostState<H> {
    async fn render(
        &mut self,
        format: DocumentFormat,
        spec: String,
        hall: Option<String>,
    ) -> WtResult<Result<BlobRef, HostError>> {
        if let Err(e) = self.check_size("document description", spec.len()) {
            return Ok(Err(e));
        }
        Ok(self.host.document_render(format, spec, hall).await)
    }

    async fn render_pages(
        &mut self,
        spec: String,
        hall: Option<String>,
        first: u32,
    ) -> WtResult<Result<PageImages, HostError>> {
        if let Err(e) = self.check_size("document description", spec.len()) {
            return Ok(Err(e));
        }
        Ok(self.host.document_render_pages(spec, hall, first).await)
    }
}

impl<H: CallHost> notices::Host for HostState<H> {
    async fn send(&mut self, n: Notice) -> WtResult<Result<String, HostError>> {
        if n.text.chars().count() > MAX_NOTICE_CHARS {
            return Ok(Err(HostError::Invalid(format!(
                "a notice's text has at most {MAX_NOTICE_CHARS} characters"
            ))));
        }
        if n.to.len() > 128 || n.topic.len() > 128 {
            return Ok(Err(HostError::Invalid(
                "a notice's recipient and topic have at most 128 bytes".into(),
            )));
        }
        Ok(self.host.notice_send(n).await)
    }
}

impl<H: CallHost> log::Host for HostState<H> {
    async fn write(
        &mut self,
        level: Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> WtResult<()> {
        let message = clean_log_text(&message, MAX_LOG_MESSAGE);
        let fields = fields
            .into_iter()
            .take(32)
            .map(|(k, v)| (clean_log_text(&k, 64), clean_log_text(&v, MAX_LOG_FIELD)))
            .collect();
        self.host.log(level, message, fields);
        Ok(())
    }
}

/// Cuts `text` to `max` bytes at a character boundary and escapes control
/// characters, so a plugin cannot forge host log lines.
fn clean_log_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for c in text.chars() {
        if out.len() + c.len_utf8() > max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
