//! The runtime on its own: engine fallback, and the fixture plugin called
//! with an in-memory call host (no database), including deadline, memory cap
//! and quarantine behaviour at this layer.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)] // test code: fail loudly

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bantong_runtime::wit::{self, HostError};
use bantong_runtime::{CallError, CallHost, PluginLimits, PluginSlot, Runtime, RuntimeConfig};

/// A call host keeping documents in memory: enough to exercise the imports.
#[derive(Debug, Default)]
struct MemoryHost {
    docs: BTreeMap<(String, String), wit::Document>,
    logs: Vec<String>,
}

impl CallHost for MemoryHost {
    async fn storage_get(
        &mut self,
        c: String,
        id: String,
    ) -> Result<Option<wit::Document>, HostError> {
        Ok(self.docs.get(&(c, id)).cloned())
    }
    async fn storage_put(&mut self, c: String, w: wit::Write) -> Result<wit::Document, HostError> {
        let id = w.id.unwrap_or_else(|| format!("id{}", self.docs.len()));
        let doc = wit::Document {
            collection: c.clone(),
            id: id.clone(),
            hall: w.hall,
            version: 1,
            body: w.body,
            created_at: 0,
            updated_at: 0,
        };
        self.docs.insert((c, id), doc.clone());
        Ok(doc)
    }
    async fn storage_delete(
        &mut self,
        c: String,
        id: String,
        _: Option<u64>,
    ) -> Result<bool, HostError> {
        Ok(self.docs.remove(&(c, id)).is_some())
    }
    async fn storage_query(&mut self, q: wit::DocumentQuery) -> Result<wit::Page, HostError> {
        let items: Vec<_> = self
            .docs
            .values()
            .filter(|d| d.collection == q.selection.collection)
            .cloned()
            .collect();
        Ok(wit::Page {
            total: items.len() as u64,
            items,
        })
    }
    async fn storage_aggregate(
        &mut self,
        _: wit::AggregateQuery,
    ) -> Result<Vec<wit::Group>, HostError> {
        Err(HostError::Denied("no aggregates here".into()))
    }
    async fn publish(
        &mut self,
        _: String,
        _: Option<String>,
        _: String,
    ) -> Result<String, HostError> {
        Err(HostError::Denied("no events here".into()))
    }
    fn config(&mut self) -> String {
        r#"{"greeting":"你好","max_notes":100}"#.into()
    }
    fn log(&mut self, _: wit::Level, message: String, _: Vec<(String, String)>) {
        self.logs.push(message);
    }
}

fn fixture() -> Vec<u8> {
    let dir = std::env::var_os("BANTONG_WASM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/wasm32-wasip2/plugin")
        });
    let path = dir.join("bantong_fixture.wasm");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}); run `cargo xtask wasm`",
            path.display()
        )
    })
}

fn request(method: wit::Method, path: &str, body: &str) -> wit::Request {
    wit::Request {
        request_id: "t".into(),
        method,
        path: path.into(),
        query: vec![],
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
        caller: Some(wit::Caller {
            user_id: "u1".into(),
            username: "staff".into(),
            roles: vec!["window-staff".into()],
            halls: vec!["bailou".into()],
            district_wide: false,
        }),
        hall: Some("bailou".into()),
    }
}

fn limits() -> PluginLimits {
    PluginLimits {
        memory_bytes: 32 << 20,
        timeout: Duration::from_millis(300),
        boundary_bytes: 1 << 20,
    }
}

#[test]
fn falls_back_to_on_demand_allocation_when_the_pool_cannot_be_reserved() {
    // 4 GiB slots × 100 million instances cannot be reserved on any machine.
    let config = RuntimeConfig {
        max_instances: 100_000_000,
        max_memory_mib: 4096,
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::<MemoryHost>::new(config).expect("engine with fallback");
    assert!(!runtime.is_pooling());
    let pooled = Runtime::<MemoryHost>::new(RuntimeConfig::default()).expect("engine");
    assert!(pooled.is_pooling(), "the default pool fits this machine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_the_fixture_with_imports_served_by_the_call_host() {
    let runtime = Runtime::<MemoryHost>::new(RuntimeConfig::default()).unwrap();
    let plugin = Arc::new(
        runtime
            .load("fixture", "0.1.0", &fixture(), limits(), ())
            .unwrap(),
    );
    let slot = PluginSlot::new(plugin.clone(), 3, 8);
    let out = runtime
        .handle(
            &slot,
            &plugin,
            MemoryHost::default(),
            request(wit::Method::Get, "/ping", ""),
        )
        .await
        .unwrap();
    assert_eq!(out.value.status, 200);
    assert_eq!(out.version, "0.1.0");

    let out = runtime
        .handle(
            &slot,
            &plugin,
            MemoryHost::default(),
            request(
                wit::Method::Post,
                "/notes",
                r#"{"id":"n1","title":"t","status":"open","amount":1}"#,
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        out.value.status,
        201,
        "{}",
        String::from_utf8_lossy(&out.value.body)
    );
    assert!(
        out.host
            .docs
            .contains_key(&("notes".to_owned(), "n1".to_owned())),
        "the write reached the call host"
    );

    let views = runtime
        .views(&slot, &plugin, MemoryHost::default())
        .await
        .unwrap()
        .value;
    assert!(views.iter().any(|v| v.id == "notes"));
}

/// WIT 0.1.3 `directory` with the call host's defaults: no halls, and the
/// people refused (the fixture answers that as 403 through the SDK).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_defaults_to_no_halls_and_no_people() {
    let runtime = Runtime::<MemoryHost>::new(RuntimeConfig::default()).unwrap();
    let plugin = Arc::new(
        runtime
            .load("fixture", "0.1.0", &fixture(), limits(), ())
            .unwrap(),
    );
    let slot = PluginSlot::new(plugin.clone(), 3, 8);
    let call = |path: &str| {
        let mut req = request(wit::Method::Get, "/directory", "");
        if let Some((_, role)) = path.split_once("?role=") {
            req.query = vec![("role".into(), role.into())];
        }
        runtime.handle(&slot, &plugin, MemoryHost::default(), req)
    };
    let out = call("/directory").await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&out.value.body).unwrap();
    assert_eq!(out.value.status, 200, "{body}");
    assert_eq!(body, serde_json::json!({ "halls": [] }));

    let out = call("/directory?role=inspector").await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&out.value.body).unwrap();
    assert_eq!(out.value.status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");

    // An over-long role is refused by the runtime before the call host.
    let out = call(&format!("/directory?role={}", "r".repeat(65)))
        .await
        .unwrap();
    assert_eq!(out.value.status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_memory_cap_trap_and_quarantine() {
    let runtime = Runtime::<MemoryHost>::new(RuntimeConfig::default()).unwrap();
    let plugin = Arc::new(
        runtime
            .load("fixture", "0.1.0", &fixture(), limits(), ())
            .unwrap(),
    );
    let slot = PluginSlot::new(plugin.clone(), 3, 8);
    let call = |path: &'static str| {
        let (runtime, slot, plugin) = (&runtime, &slot, &plugin);
        async move {
            runtime
                .handle(
                    slot,
                    plugin,
                    MemoryHost::default(),
                    request(wit::Method::Get, path, ""),
                )
                .await
        }
    };
    assert_eq!(
        call("/loop").await.unwrap_err(),
        CallError::Timeout { ms: 300 }
    );
    assert_eq!(
        call("/alloc").await.unwrap_err(),
        CallError::MemoryLimit { bytes: 32 << 20 }
    );
    assert!(matches!(
        call("/trap").await.unwrap_err(),
        CallError::Trap(_)
    ));
    assert!(slot.is_quarantined());
    assert_eq!(call("/ping").await.unwrap_err(), CallError::Quarantined);
    let stats = slot.stats().snapshot();
    assert_eq!(
        (
            stats.timeouts,
            stats.memory_limits,
            stats.traps,
            stats.rejected
        ),
        (1, 1, 1, 1)
    );
    slot.lift_quarantine();
    assert_eq!(call("/ping").await.unwrap().value.status, 200);

    // Oversized requests are the caller's fault and do not count.
    let big = "x".repeat((1 << 20) + 1);
    let err = runtime
        .handle(
            &slot,
            &plugin,
            MemoryHost::default(),
            request(wit::Method::Post, "/echo", &big),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::RequestTooLarge { .. }));
    assert_eq!(slot.stats().snapshot().consecutive_failures, 0);
}
