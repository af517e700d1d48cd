//! The host's side of a plugin call: WIT imports checked against the
//! plugin's grant and the caller's hall scope, then served by the store's
//! unit of work.

use std::sync::{Arc, Weak};

use bantong_manifest::Capability;
use bantong_runtime::CallHost;
use bantong_runtime::wit::{self, HostError};
use bantong_store::{self as store, Scope, Store, UnitOfWork};

use super::registry::{InstalledVersion, PluginIndex};

/// The pictures a document shows, as a call in `halls` may read them: JPEG
/// and PNG blobs referenced within those halls (as a download by the
/// call's caller), each at most [`MAX_PICTURE_BYTES`] and all at most
/// [`MAX_PICTURES_BYTES`] by their recorded size before any is read. One it
/// may not read is left out and the document prints a note in its place.
async fn pictures(
    store: &Store,
    halls: &store::HallScope,
    doc: &bantong_hall_kit::document::Document,
) -> Result<bantong_documents::Pictures, HostError> {
    let mut pictures = bantong_documents::Pictures::new();
    let mut budget = MAX_PICTURES_BYTES;
    for sha in doc.image_refs() {
        let Some(meta) = store.blob_ref(sha).await.map_err(to_host_error)? else {
            continue;
        };
        let size = usize::try_from(meta.size).unwrap_or(usize::MAX);
        if !matches!(meta.content_type.as_str(), "image/jpeg" | "image/png")
            || size > MAX_PICTURE_BYTES
            || size > budget
        {
            continue;
        }
        if !store
            .blob_visible(sha, None, halls)
            .await
            .map_err(to_host_error)?
        {
            continue;
        }
        if let Some((_, bytes)) = store.get_blob(sha).await.map_err(to_host_error)? {
            budget -= size;
            pictures.insert(sha.to_owned(), bytes);
        }
    }
    Ok(pictures)
}

/// The largest picture a document may show, in bytes.
pub const MAX_PICTURE_BYTES: usize = 16 * 1024 * 1024;

/// The most bytes of pictures one document reads.
pub const MAX_PICTURES_BYTES: usize = 48 * 1024 * 1024;

/// Everything one call of one plugin may touch.
pub struct ServerCallHost {
    store: Store,
    uow: UnitOfWork,
    version: Arc<InstalledVersion>,
    index: Arc<PluginIndex>,
    scope: Scope,
    /// The hall the call acts for, if any.
    hall: Option<String>,
    /// Who the call acts for (user id), for attribution.
    actor: Option<String>,
    config: String,
    request_id: String,
    /// The manager, when this call may read other modules (a top-level
    /// call); empty in a module read, which cannot read further.
    modules: Weak<super::manager::PluginManager>,
    /// The plugin's notes for the call's audit record (action, detail).
    notes: Vec<(String, serde_json::Value)>,
    /// A module read: every write is refused.
    read_only: bool,
}

impl ServerCallHost {
    pub fn new(
        store: &Store,
        version: Arc<InstalledVersion>,
        index: Arc<PluginIndex>,
        scope: Scope,
        config: String,
        request_id: String,
    ) -> Self {
        ServerCallHost {
            store: store.clone(),
            uow: store.begin(),
            version,
            index,
            scope,
            hall: None,
            actor: None,
            config,
            request_id,
            modules: Weak::new(),
            notes: Vec::new(),
            read_only: false,
        }
    }

    /// Makes the call a read: writes of documents, events, blobs,
    /// documents and notices are refused (`denied`), so a module read never
    /// takes a write lock or leaves anything behind.
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    fn writable(&self) -> Result<(), HostError> {
        if self.read_only {
            Err(HostError::Denied(
                "a read by another module cannot write / 其他模块读取期间不能写入".into(),
            ))
        } else {
            Ok(())
        }
    }

    /// Lets the call read other modules through `manager` (an empty
    /// `Weak` forbids it).
    pub fn reading_modules(mut self, manager: Weak<super::manager::PluginManager>) -> Self {
        self.modules = manager;
        self
    }

    /// Refuses a module read the plugin's grant does not include.
    fn may_read_module(&self, plugin: &str) -> Result<(), HostError> {
        if self.version.grant.can_read_module(plugin) {
            Ok(())
        } else {
            Err(HostError::Denied(format!(
                "plugin {} may not read module {plugin} (declare it under module-reads and have it granted)",
                self.plugin_id()
            )))
        }
    }

    /// Sets the hall and the person a call acts for.
    pub fn acting_for(mut self, hall: Option<String>, actor: Option<String>) -> Self {
        self.hall = hall;
        self.actor = actor;
        self
    }

    /// Commits the writes and events of a call no person made; when the
    /// plugin noted something for the audit log, together with a record
    /// attributed to the plugin.
    pub async fn commit(self, audit: &crate::audit::Audit) -> Result<(), CommitError> {
        if self.notes.is_empty() {
            return self.uow.commit().await.map_err(CommitError::Store);
        }
        let mut entry = crate::audit::AuditEntry::new(
            format!("plugin:{}", self.plugin_id()),
            crate::audit::ActorKind::System,
            "plugin.notes",
            "plugin-call",
            self.request_id.clone(),
        )
        .detail(serde_json::json!({ "request_id": self.request_id }));
        if let Some(h) = &self.hall {
            entry = entry.hall(h.clone());
        }
        self.commit_audited(audit, entry).await
    }

    /// Commits the call's writes together with their audit row (holding
    /// the plugin's notes, if any): both or neither. Without writes,
    /// nothing is recorded.
    pub async fn commit_audited(
        mut self,
        audit: &crate::audit::Audit,
        mut entry: crate::audit::AuditEntry,
    ) -> Result<(), CommitError> {
        if !self.notes.is_empty()
            && let Some(detail) = entry.detail.as_object_mut()
        {
            let notes: Vec<serde_json::Value> = std::mem::take(&mut self.notes)
                .into_iter()
                .map(|(action, detail)| serde_json::json!({ "action": action, "detail": detail }))
                .collect();
            detail.insert("notes".into(), serde_json::Value::Array(notes));
        }
        if let Some(conn) = self.uow.open_transaction() {
            audit
                .record_in(conn, &entry)
                .await
                .map_err(CommitError::Audit)?;
        }
        self.uow.commit().await.map_err(CommitError::Store)
    }

    /// Whether the plugin noted anything for the audit log.
    pub fn has_notes(&self) -> bool {
        !self.notes.is_empty()
    }

    /// Whether the call wrote anything (documents or events).
    pub fn has_writes(&self) -> bool {
        self.uow.has_writes()
    }

    fn plugin_id(&self) -> &str {
        &self.version.manifest.id
    }

    fn require(&self, cap: &Capability) -> Result<(), HostError> {
        if self.version.grant.allows(cap) {
            Ok(())
        } else {
            Err(HostError::Denied(format!(
                "plugin {} has no {cap} capability (not requested or not allowed by policy)",
                self.plugin_id()
            )))
        }
    }

    /// The spec of one of this plugin's own collections.
    fn own_collection(&self, name: &str) -> Result<&store::CollectionSpec, HostError> {
        self.require(&Capability::Storage)?;
        self.version.collections.get(name).ok_or_else(|| {
            HostError::NotFound(format!(
                "collection {name:?} is not declared in the manifest"
            ))
        })
    }

    /// Resolves the collection a selection reads: own, or another plugin's
    /// when declared and granted.
    fn readable(
        &self,
        selection: &wit::Selection,
    ) -> Result<(String, store::CollectionSpec), HostError> {
        match selection.owner.as_deref() {
            None => Ok((
                self.plugin_id().to_owned(),
                self.own_collection(&selection.collection)?.clone(),
            )),
            Some(owner) if owner == self.plugin_id() => Ok((
                owner.to_owned(),
                self.own_collection(&selection.collection)?.clone(),
            )),
            Some(owner) => {
                if !self.version.grant.can_read(owner, &selection.collection) {
                    return Err(HostError::Denied(format!(
                        "plugin {} may not read {owner}/{} (declare it under storage-read and have it granted)",
                        self.plugin_id(),
                        selection.collection
                    )));
                }
                let spec = self
                    .index
                    .collection(owner, &selection.collection)
                    .ok_or_else(|| {
                        HostError::NotFound(format!(
                            "collection {owner}/{} does not exist",
                            selection.collection
                        ))
                    })?;
                Ok((owner.to_owned(), spec))
            }
        }
    }

    /// A document to render for `hall`: the call may write there and has
    /// `documents`; the description parsed and checked; the pictures it
    /// shows read as the caller may (when `with_pictures`; placing a blob in
    /// a file is handling attachments, so it needs `blobs` too).
    async fn document_input(
        &mut self,
        spec: &str,
        hall: Option<&str>,
        with_pictures: bool,
    ) -> Result<
        (
            bantong_hall_kit::document::Document,
            bantong_documents::Pictures,
        ),
        HostError,
    > {
        self.writable()?;
        self.require(&Capability::Documents)?;
        if !self.scope.halls.can_write(hall) {
            return Err(HostError::Denied(format!(
                "hall {hall:?} is outside the caller's scope"
            )));
        }
        let doc = crate::documents::parse(spec).map_err(render_to_host)?;
        let pictures = if !with_pictures || doc.image_refs().is_empty() {
            bantong_documents::Pictures::new()
        } else {
            self.require(&Capability::Blobs)?;
            pictures(&self.store, &self.scope.halls, &doc).await?
        };
        Ok((doc, pictures))
    }

    /// Keeps a rendered file as a blob of the plugin in `hall`.
    async fn keep_document(
        &mut self,
        bytes: &[u8],
        content_type: &str,
        hall: Option<&str>,
    ) -> Result<wit::BlobRef, HostError> {
        let plugin = self.plugin_id().to_owned();
        let by = self
            .actor
            .clone()
            .unwrap_or_else(|| format!("plugin:{plugin}"));
        let b = self
            .store
            .put_blob_for(bytes, content_type, &plugin, hall, &by)
            .await
            .map_err(to_host_error)?;
        Ok(wit::BlobRef {
            sha256: b.sha256,
            size: b.size,
            content_type: b.content_type,
        })
    }
}

fn render_to_host(e: crate::documents::RenderError) -> HostError {
    match e {
        crate::documents::RenderError::Invalid(m) => HostError::Invalid(m),
        crate::documents::RenderError::Unavailable(m) => HostError::Unavailable(m),
    }
}

/// Why committing a call's unit of work failed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("storage: {0}")]
    Store(store::Error),
    #[error("audit: {0}")]
    Audit(crate::audit::AuditError),
}

fn to_host_error(e: store::Error) -> HostError {
    use store::Error as E;
    match e {
        E::NotFound(m) => HostError::NotFound(m),
        E::Conflict(m) => HostError::Conflict(m),
        E::Invalid(m) | E::TooLarge(m) => HostError::Invalid(m),
        E::Denied(m) => HostError::Denied(m),
        other => {
            tracing::error!(error = %other, "storage failure during a plugin call");
            HostError::Unavailable("storage is unavailable".into())
        }
    }
}

fn parse_json(what: &str, text: &str) -> Result<serde_json::Value, HostError> {
    serde_json::from_str(text)
        .map_err(|e| HostError::Invalid(format!("{what} is not valid JSON: {e}")))
}

fn to_wit_document(d: store::Document) -> wit::Document {
    wit::Document {
        collection: d.collection,
        id: d.id,
        hall: d.hall,
        version: d.version,
        body: d.body.to_string(),
        created_at: d.created_at,
        updated_at: d.updated_at,
    }
}

fn to_selection(s: wit::Selection) -> Result<store::Selection, HostError> {
    let filters = s
        .filters
        .into_iter()
        .map(|f| {
            Ok(store::Filter {
                value: if f.value.is_empty() {
                    serde_json::Value::Null
                } else {
                    parse_json("filter value", &f.value)?
                },
                field: f.field,
                op: match f.op {
                    wit::Op::Eq => store::Op::Eq,
                    wit::Op::Ne => store::Op::Ne,
                    wit::Op::Lt => store::Op::Lt,
                    wit::Op::Le => store::Op::Le,
                    wit::Op::Gt => store::Op::Gt,
                    wit::Op::Ge => store::Op::Ge,
                    wit::Op::AnyOf => store::Op::AnyOf,
                    wit::Op::Prefix => store::Op::Prefix,
                    wit::Op::Contains => store::Op::Contains,
                    wit::Op::IsNull => store::Op::IsNull,
                },
            })
        })
        .collect::<Result<_, HostError>>()?;
    Ok(store::Selection {
        collection: s.collection,
        filters,
        halls: s.halls,
    })
}

impl CallHost for ServerCallHost {
    async fn storage_get(
        &mut self,
        collection: String,
        id: String,
    ) -> Result<Option<wit::Document>, HostError> {
        self.own_collection(&collection)?;
        let doc = self
            .uow
            .get(&self.scope, &collection, &id)
            .await
            .map_err(to_host_error)?;
        Ok(doc.map(to_wit_document))
    }

    async fn storage_put(
        &mut self,
        collection: String,
        doc: wit::Write,
    ) -> Result<wit::Document, HostError> {
        self.writable()?;
        self.own_collection(&collection)?;
        let write = store::Write {
            id: doc.id,
            hall: doc.hall,
            body: parse_json("document body", &doc.body)?,
            expected_version: doc.expected_version,
        };
        let stored = self
            .uow
            .put(&self.scope, &collection, write)
            .await
            .map_err(to_host_error)?;
        Ok(to_wit_document(stored))
    }

    async fn storage_delete(
        &mut self,
        collection: String,
        id: String,
        expected_version: Option<u64>,
    ) -> Result<bool, HostError> {
        self.writable()?;
        self.own_collection(&collection)?;
        self.uow
            .delete(&self.scope, &collection, &id, expected_version)
            .await
            .map_err(to_host_error)
    }

    async fn storage_query(&mut self, q: wit::DocumentQuery) -> Result<wit::Page, HostError> {
        let (owner, spec) = self.readable(&q.selection)?;
        let query = store::Query {
            selection: to_selection(q.selection)?,
            sort: q
                .sort
                .into_iter()
                .map(|k| store::SortKey {
                    field: k.field,
                    direction: match k.direction {
                        wit::Direction::Asc => store::Direction::Asc,
                        wit::Direction::Desc => store::Direction::Desc,
                    },
                })
                .collect(),
            offset: q.offset,
            limit: q.limit,
        };
        let page = self
            .uow
            .query(&self.scope, &owner, &spec, query)
            .await
            .map_err(to_host_error)?;
        Ok(wit::Page {
            items: page.items.into_iter().map(to_wit_document).collect(),
            total: page.total,
        })
    }

    async fn storage_aggregate(
        &mut self,
        q: wit::AggregateQuery,
    ) -> Result<Vec<wit::Group>, HostError> {
        let (owner, spec) = self.readable(&q.selection)?;
        let query = store::AggregateQuery {
            selection: to_selection(q.selection)?,
            group_by: q.group_by,
            metrics: q
                .metrics
                .into_iter()
                .map(|m| store::Metric {
                    func: match m.func {
                        wit::AggregateFn::Count => store::AggregateFn::Count,
                        wit::AggregateFn::Sum => store::AggregateFn::Sum,
                        wit::AggregateFn::Avg => store::AggregateFn::Avg,
                        wit::AggregateFn::Min => store::AggregateFn::Min,
                        wit::AggregateFn::Max => store::AggregateFn::Max,
                    },
                    field: m.field,
                })
                .collect(),
        };
        let groups = self
            .uow
            .aggregate(&self.scope, &owner, &spec, query)
            .await
            .map_err(to_host_error)?;
        Ok(groups
            .into_iter()
            .map(|g| wit::Group {
                keys: g.keys.iter().map(|k| k.to_string()).collect(),
                values: g.values,
            })
            .collect())
    }

    async fn publish(
        &mut self,
        topic: String,
        hall: Option<String>,
        payload: String,
    ) -> Result<String, HostError> {
        self.writable()?;
        // Hall events come from hall agents only: a plugin cannot forge one
        // (a pattern like `*.haocha.rating` would otherwise match).
        if topic.starts_with(bantong_manifest::HALL_TOPIC_PREFIX) {
            return Err(HostError::Denied(format!(
                "topic {topic:?}: hall events come only from the halls' agents"
            )));
        }
        if !self.version.grant.can_publish(&topic) {
            return Err(HostError::Denied(format!(
                "plugin {} may not publish on topic {topic:?}",
                self.plugin_id()
            )));
        }
        if !self.scope.halls.can_write(hall.as_deref()) {
            return Err(HostError::Denied(format!(
                "hall {hall:?} is outside the caller's scope"
            )));
        }
        let payload = parse_json("event payload", &payload)?;
        let subscribers = self.index.subscribers(&topic);
        let event = store::NewEvent {
            topic,
            source: self.plugin_id().to_owned(),
            hall,
            payload,
        };
        self.uow
            .publish(event, &subscribers)
            .await
            .map_err(to_host_error)
    }

    async fn blob_put(
        &mut self,
        content_type: String,
        content: Vec<u8>,
    ) -> Result<wit::BlobRef, HostError> {
        self.writable()?;
        self.require(&Capability::Blobs)?;
        let b = self
            .store
            .put_blob(&content, &content_type)
            .await
            .map_err(to_host_error)?;
        Ok(wit::BlobRef {
            sha256: b.sha256,
            size: b.size,
            content_type: b.content_type,
        })
    }

    async fn blob_get(
        &mut self,
        sha256: String,
    ) -> Result<Option<(wit::BlobRef, Vec<u8>)>, HostError> {
        self.require(&Capability::Blobs)?;
        let found = self.store.get_blob(&sha256).await.map_err(to_host_error)?;
        Ok(found.map(|(b, bytes)| {
            (
                wit::BlobRef {
                    sha256: b.sha256,
                    size: b.size,
                    content_type: b.content_type,
                },
                bytes,
            )
        }))
    }

    fn config(&mut self) -> String {
        if self.version.grant.allows(&Capability::Config) {
            self.config.clone()
        } else {
            "{}".to_owned()
        }
    }

    fn now_ms(&mut self) -> i64 {
        if self.version.grant.allows(&Capability::Clock) {
            self.index.plugin_now_ms()
        } else {
            0
        }
    }

    async fn document_render(
        &mut self,
        format: wit::DocumentFormat,
        spec: String,
        hall: Option<String>,
    ) -> Result<wit::BlobRef, HostError> {
        let format = match format {
            wit::DocumentFormat::Docx => bantong_documents::Format::Docx,
            wit::DocumentFormat::Pdf => bantong_documents::Format::Pdf,
            wit::DocumentFormat::Xlsx => bantong_documents::Format::Xlsx,
        };
        let (doc, pictures) = self
            .document_input(
                &spec,
                hall.as_deref(),
                format != bantong_documents::Format::Xlsx,
            )
            .await?;
        let (bytes, content_type) =
            crate::documents::render(&self.index.font_dir(), format, doc, pictures)
                .await
                .map_err(render_to_host)?;
        self.keep_document(&bytes, content_type, hall.as_deref())
            .await
    }

    async fn document_render_pages(
        &mut self,
        spec: String,
        hall: Option<String>,
        first: u32,
    ) -> Result<wit::PageImages, HostError> {
        let (doc, pictures) = self.document_input(&spec, hall.as_deref(), true).await?;
        let first = usize::try_from(first).unwrap_or(usize::MAX);
        let (pages, total) =
            crate::documents::render_pages(&self.index.font_dir(), doc, pictures, first)
                .await
                .map_err(render_to_host)?;
        let mut refs = Vec::with_capacity(pages.len());
        for png in &pages {
            refs.push(
                self.keep_document(png, "image/png", hall.as_deref())
                    .await?,
            );
        }
        Ok(wit::PageImages {
            pages: refs,
            total: u32::try_from(total).unwrap_or(u32::MAX),
        })
    }

    async fn notice_send(&mut self, n: wit::Notice) -> Result<String, HostError> {
        self.writable()?;
        if !self.version.grant.allows(&Capability::Notices) {
            return Err(HostError::Denied(format!(
                "plugin {} has no `notices` capability",
                self.plugin_id()
            )));
        }
        if !self.scope.halls.can_write(n.hall.as_deref()) {
            return Err(HostError::Denied(format!(
                "hall {:?} is outside the caller's scope",
                n.hall
            )));
        }
        let channel = match n.channel {
            wit::Channel::Sms => store::NoticeChannel::Sms,
            wit::Channel::Portal => store::NoticeChannel::Portal,
        };
        crate::notices::check(channel, &n.to, &n.text, &n.topic).map_err(HostError::Invalid)?;
        let limit = i64::from(self.index.notice_limit());
        // The store stamps notices with the wall clock, so the window is too.
        let since = crate::identity::now_ms().saturating_sub(60_000);
        let plugin = self.plugin_id().to_owned();
        let queued = self
            .uow
            .notices_queued_since(&plugin, since)
            .await
            .map_err(to_host_error)?;
        if queued >= limit {
            return Err(HostError::Unavailable(format!(
                "plugin {plugin} has queued {queued} notices in the last minute (limit {limit}); try again later"
            )));
        }
        self.uow
            .queue_notice(store::NewNotice {
                plugin,
                channel,
                recipient: n.to,
                text: n.text,
                topic: n.topic,
                hall: n.hall,
                acting_for: self.actor.clone(),
            })
            .await
            .map_err(to_host_error)
    }

    async fn calendar_arrangements(&mut self, first: i32, last: i32) -> Vec<wit::Arrangement> {
        // Public district data, read outside the call's unit of work. A
        // failed read answers no years, which the plugin reports as an
        // unconfigured calendar rather than a wrong deadline.
        match crate::calendar::arrangements_for_plugins(&self.store, first, last).await {
            Ok(years) => years,
            Err(e) => {
                tracing::error!(
                    plugin = self.plugin_id(),
                    "reading the district calendar: {e}"
                );
                Vec::new()
            }
        }
    }

    async fn catalogue_current(&mut self) -> Option<wit::Published> {
        // Public district data, read outside the call's unit of work.
        let (version, published_at, body) = self.index.catalogue().current(&self.store).await?;
        Some(wit::Published {
            version,
            published_at,
            body: body.to_string(),
        })
    }

    async fn catalogue_version(&mut self) -> Option<u64> {
        self.index.catalogue().version(&self.store).await
    }

    async fn directory_halls(&mut self) -> Vec<wit::DirectoryHall> {
        // Public district data, read outside the call's unit of work. A
        // failed read answers no halls (the WIT call cannot fail).
        match self.store.directory().halls().await {
            Ok(halls) => halls
                .into_iter()
                .map(|h| wit::DirectoryHall {
                    id: h.id,
                    code: h.code,
                    name_zh: h.name_zh,
                    name_en: h.name_en,
                    grade: h.grade,
                })
                .collect(),
            Err(e) => {
                tracing::error!(plugin = self.plugin_id(), "reading the halls: {e}");
                Vec::new()
            }
        }
    }

    async fn directory_people(
        &mut self,
        role: String,
    ) -> Result<Vec<wit::DirectoryPerson>, HostError> {
        // People are personal data: only with the `directory` grant. Read
        // outside the call's unit of work, like the halls.
        self.require(&Capability::Directory)?;
        let people = self
            .store
            .directory()
            .people(&role)
            .await
            .map_err(to_host_error)?;
        Ok(people
            .into_iter()
            .map(|p| wit::DirectoryPerson {
                user_id: p.user_id,
                username: p.username,
                display_name: p.display_name,
                roles: p.roles,
                halls: p.halls,
                district_wide: p.district_wide,
            })
            .collect())
    }

    fn audit_note(&mut self, action: String, detail: serde_json::Value) {
        self.notes.push((action, detail));
    }

    async fn module_installed(&mut self, plugin: String) -> Result<Option<String>, HostError> {
        self.may_read_module(&plugin)?;
        let Some(manager) = self.modules.upgrade() else {
            return Err(HostError::Denied(
                "a module read cannot itself read other modules".into(),
            ));
        };
        Ok(manager.module_version(&plugin))
    }

    async fn module_get(&mut self, plugin: String, target: String) -> Result<Vec<u8>, HostError> {
        self.may_read_module(&plugin)?;
        let Some(manager) = self.modules.upgrade() else {
            return Err(HostError::Denied(
                "a module read cannot itself read other modules".into(),
            ));
        };
        let reader = self.plugin_id().to_owned();
        let request_id = self.request_id.clone();
        manager
            .read_module(&reader, &plugin, &target, &request_id)
            .await
    }

    fn log(&mut self, level: wit::Level, message: String, fields: Vec<(String, String)>) {
        if !self.version.grant.allows(&Capability::Log) {
            return;
        }
        let plugin = self.plugin_id();
        let rid = &self.request_id;
        let fields = serde_json::Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect(),
        );
        match level {
            wit::Level::Trace => tracing::trace!(plugin, request_id = %rid, %fields, "{message}"),
            wit::Level::Debug => tracing::debug!(plugin, request_id = %rid, %fields, "{message}"),
            wit::Level::Info => tracing::info!(plugin, request_id = %rid, %fields, "{message}"),
            wit::Level::Warn => tracing::warn!(plugin, request_id = %rid, %fields, "{message}"),
            wit::Level::Error => tracing::error!(plugin, request_id = %rid, %fields, "{message}"),
        }
    }
}
