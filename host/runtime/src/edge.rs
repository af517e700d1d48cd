//! The edge world: long-lived plugin instances on a hall's agent.
//!
//! A district module gets a fresh instance per call; an edge plugin keeps
//! one instance (and its memory) across frames, so it can hold reference
//! images and debounce timers. Each call still has a deadline (epoch
//! interruption, yielding to the executor every tick) and the instance a
//! memory cap; a trap or timeout poisons the instance, which the embedder
//! replaces ([`EdgeInstance::is_poisoned`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::edge_wit::traits::{
    camera, catalogue, clock, config, log, peripherals, types, uplink,
};
use crate::bindings::edge_wit::{
    Device, DeviceEvent, Edge, EdgePre, FrameInfo, HostError, Level, Published,
};
use crate::error::{CallError, Error, Result};
use crate::host::MemoryCap;
use crate::plugin::PluginLimits;
use crate::vision::{self, Frame, PixelFormat};

/// What the agent provides to edge plugins. Calls are synchronous: they
/// only queue work (events) or read state the agent already holds.
pub trait EdgeHost: Send + 'static {
    /// The plugin's effective config as JSON.
    fn config(&mut self) -> String;
    fn log(&mut self, level: Level, message: &str, fields: &[(String, String)]);
    fn now_ms(&mut self) -> i64;
    /// Queues an upstream event; `snapshot` is the frame to attach as JPEG.
    fn send(
        &mut self,
        kind: &str,
        subject: Option<&str>,
        payload: &str,
        snapshot: Option<&Frame>,
    ) -> std::result::Result<(), HostError>;
    /// The devices this plugin may use.
    fn devices(&mut self) -> Vec<Device> {
        Vec::new()
    }
    /// Starts a device request; its outcome arrives later as a device event.
    fn submit(
        &mut self,
        device: &str,
        _op: &str,
        _args: &str,
    ) -> std::result::Result<u64, HostError> {
        Err(HostError::NotFound(format!("no device {device}")))
    }
    /// Cancels one of this plugin's pending requests.
    fn cancel(&mut self, _request: u64) -> bool {
        false
    }
    /// The district's service catalogue as the agent last received it:
    /// (version, published at, JSON body). The default has none.
    fn catalogue(&mut self) -> Option<(u64, i64, Arc<str>)> {
        None
    }
}

/// The data of an edge plugin's store.
pub struct EdgeState<H> {
    pub host: H,
    frame: Option<Arc<Frame>>,
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    limiter: MemoryCap,
    boundary_bytes: usize,
}

impl<H: Send> WasiView for EdgeState<H> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let ctx = self.wasi.get_or_insert_with(crate::host::deny_all_wasi);
        WasiCtxView {
            ctx,
            table: &mut self.table,
        }
    }
}

impl<H: EdgeHost> types::Host for EdgeState<H> {}

impl<H: EdgeHost> catalogue::Host for EdgeState<H> {
    fn current(&mut self) -> wasmtime::Result<Option<Published>> {
        Ok(self
            .host
            .catalogue()
            .map(|(version, published_at, body)| Published {
                version,
                published_at,
                body: body.to_string(),
            }))
    }

    fn version(&mut self) -> wasmtime::Result<Option<u64>> {
        Ok(self.host.catalogue().map(|(version, _, _)| version))
    }
}

impl<H: EdgeHost> config::Host for EdgeState<H> {
    fn get(&mut self) -> wasmtime::Result<String> {
        Ok(self.host.config())
    }
}

impl<H: EdgeHost> clock::Host for EdgeState<H> {
    fn now(&mut self) -> wasmtime::Result<i64> {
        Ok(self.host.now_ms())
    }
    fn utc_offset_minutes(&mut self) -> wasmtime::Result<i32> {
        Ok(480)
    }
}

impl<H: EdgeHost> log::Host for EdgeState<H> {
    fn write(
        &mut self,
        level: Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        let message: String = message.chars().take(4096).collect();
        let fields: Vec<(String, String)> = fields.into_iter().take(32).collect();
        self.host.log(level, &message, &fields);
        Ok(())
    }
}

impl<H: EdgeHost> camera::Host for EdgeState<H> {
    fn gray(
        &mut self,
        width: u32,
        height: u32,
    ) -> wasmtime::Result<std::result::Result<Vec<u8>, HostError>> {
        let Some(frame) = &self.frame else {
            return Ok(Err(HostError::NotFound("no current frame".into())));
        };
        let out = vision::gray_downscale(frame, width, height);
        if out.is_empty() {
            return Ok(Err(HostError::Invalid(
                "the frame's size does not match its format".into(),
            )));
        }
        if out.len() > self.boundary_bytes {
            return Ok(Err(HostError::Invalid(format!(
                "{}×{} gray is more than the plugin's {}-byte boundary",
                width, height, self.boundary_bytes
            ))));
        }
        Ok(Ok(out))
    }

    fn pixels(&mut self) -> wasmtime::Result<std::result::Result<Vec<u8>, HostError>> {
        let Some(frame) = &self.frame else {
            return Ok(Err(HostError::NotFound("no current frame".into())));
        };
        if frame.data.len() > self.boundary_bytes {
            return Ok(Err(HostError::Invalid(format!(
                "the frame is {} bytes, more than the plugin's {}-byte boundary",
                frame.data.len(),
                self.boundary_bytes
            ))));
        }
        Ok(Ok(frame.data.clone()))
    }
}

impl<H: EdgeHost> uplink::Host for EdgeState<H> {
    fn send(
        &mut self,
        kind: String,
        subject: Option<String>,
        payload: String,
    ) -> wasmtime::Result<std::result::Result<(), HostError>> {
        if kind.starts_with("alert.") {
            return Ok(Err(HostError::Invalid(
                "use uplink.alert for alerts".into(),
            )));
        }
        if payload.len() > self.boundary_bytes {
            return Ok(Err(HostError::Invalid(
                "payload is larger than the boundary".into(),
            )));
        }
        Ok(self.host.send(&kind, subject.as_deref(), &payload, None))
    }

    fn alert(
        &mut self,
        kind: String,
        subject: Option<String>,
        payload: String,
        snapshot: bool,
    ) -> wasmtime::Result<std::result::Result<(), HostError>> {
        if payload.len() > self.boundary_bytes {
            return Ok(Err(HostError::Invalid(
                "payload is larger than the boundary".into(),
            )));
        }
        let frame = if snapshot { self.frame.clone() } else { None };
        Ok(self.host.send(
            &format!("alert.{kind}"),
            subject.as_deref(),
            &payload,
            frame.as_deref(),
        ))
    }
}

impl<H: EdgeHost> peripherals::Host for EdgeState<H> {
    fn devices(&mut self) -> wasmtime::Result<Vec<Device>> {
        Ok(self.host.devices())
    }
    fn submit(
        &mut self,
        device: String,
        op: String,
        args: String,
    ) -> wasmtime::Result<std::result::Result<u64, HostError>> {
        if args.len() > self.boundary_bytes {
            return Ok(Err(HostError::Invalid(
                "args are larger than the boundary".into(),
            )));
        }
        Ok(self.host.submit(&device, &op, &args))
    }
    fn cancel(&mut self, request: u64) -> wasmtime::Result<bool> {
        Ok(self.host.cancel(request))
    }
}

/// The engine and linker for edge plugins of one agent.
pub struct EdgeRuntime<H: 'static> {
    engine: Engine,
    linker: Linker<EdgeState<H>>,
    alive: Arc<std::sync::atomic::AtomicBool>,
}

impl<H: 'static> std::fmt::Debug for EdgeRuntime<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeRuntime").finish_non_exhaustive()
    }
}

impl<H: 'static> Drop for EdgeRuntime<H> {
    fn drop(&mut self) {
        self.alive
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A compiled edge plugin version. Cloning is cheap (shared code).
pub struct EdgeModule<H: 'static> {
    engine: Engine,
    pre: EdgePre<EdgeState<H>>,
    pub limits: PluginLimits,
}

// By hand: a derive would demand `H: Clone`, which the shared parts do not need.
impl<H: 'static> Clone for EdgeModule<H> {
    fn clone(&self) -> Self {
        EdgeModule {
            engine: self.engine.clone(),
            pre: self.pre.clone(),
            limits: self.limits,
        }
    }
}

impl<H: 'static> std::fmt::Debug for EdgeModule<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeModule")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl<H: EdgeHost> EdgeRuntime<H> {
    pub fn new() -> Result<Self> {
        let mut c = Config::new();
        c.wasm_component_model(true);
        c.epoch_interruption(true);
        c.max_wasm_stack(1 << 20);
        let engine = Engine::new(&c).map_err(|e| Error::Engine(format!("{e:#}")))?;
        let mut linker: Linker<EdgeState<H>> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| Error::Engine(e.to_string()))?;
        Edge::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .map_err(|e| Error::Engine(e.to_string()))?;
        let alive = Arc::new(std::sync::atomic::AtomicBool::new(true));
        crate::engine::spawn_ticker(engine.clone(), alive.clone(), Duration::from_millis(5));
        Ok(EdgeRuntime {
            engine,
            linker,
            alive,
        })
    }

    /// Compiles and links a component against the edge world.
    pub fn load(&self, wasm: &[u8], limits: PluginLimits) -> Result<EdgeModule<H>> {
        let component =
            Component::new(&self.engine, wasm).map_err(|e| Error::Compile(format!("{e:#}")))?;
        self.link(component, limits)
    }

    /// Compiles `wasm` to this engine's native form, for
    /// [`EdgeRuntime::load_compiled`] in another process with the same
    /// configuration (the edge agent compiles in a short-lived child so the
    /// long-running agent never holds the compiler's memory).
    pub fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>> {
        self.engine
            .precompile_component(wasm)
            .map_err(|e| Error::Compile(format!("{e:#}")))
    }

    /// Loads a component [`EdgeRuntime::precompile`] wrote to `path`, mapping
    /// its code from the file instead of compiling. Wasmtime refuses files
    /// from another version or configuration.
    ///
    /// # Safety
    /// The file is native code: it must be exactly what `precompile` of an
    /// engine configured like this one produced, unaltered. Never pass bytes
    /// from the network.
    #[allow(unsafe_code)]
    pub unsafe fn load_compiled(
        &self,
        path: &std::path::Path,
        limits: PluginLimits,
    ) -> Result<EdgeModule<H>> {
        // SAFETY: the caller guarantees the file came from `precompile`.
        let component = unsafe { Component::deserialize_file(&self.engine, path) }
            .map_err(|e| Error::Compile(format!("{e:#}")))?;
        self.link(component, limits)
    }

    fn link(&self, component: Component, limits: PluginLimits) -> Result<EdgeModule<H>> {
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| Error::Link(format!("{e:#}")))?;
        let pre = EdgePre::new(pre).map_err(|e| Error::Link(format!("{e:#}")))?;
        Ok(EdgeModule {
            engine: self.engine.clone(),
            pre,
            limits,
        })
    }

    /// A new instance of `module` (call `init` next).
    pub async fn instantiate(&self, module: &EdgeModule<H>, host: H) -> Result<EdgeInstance<H>> {
        module.instantiate(host).await
    }
}

impl<H: EdgeHost> EdgeModule<H> {
    /// A new instance (call `init` next). Needs no runtime reference, so a
    /// future holding only the module stays `Send`.
    pub async fn instantiate(&self, host: H) -> Result<EdgeInstance<H>> {
        let module = self;
        let limits = module.limits;
        let mut store = Store::new(
            &module.engine,
            EdgeState {
                host,
                frame: None,
                wasi: None,
                table: ResourceTable::new(),
                limiter: MemoryCap::new(limits.memory_bytes),
                boundary_bytes: limits.boundary_bytes,
            },
        );
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(1);
        let deadline = Instant::now() + limits.timeout;
        store.epoch_deadline_callback(move |_| deadline_check(deadline));
        let bindings = module
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| Error::Link(format!("{e:#}")))?;
        Ok(EdgeInstance {
            store,
            bindings,
            limits,
            poisoned: false,
        })
    }
}

/// Marker for the deadline trap.
#[derive(Debug)]
struct DeadlineExceeded;

impl std::fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("deadline exceeded")
    }
}

impl std::error::Error for DeadlineExceeded {}

fn deadline_check(deadline: Instant) -> wasmtime::Result<UpdateDeadline> {
    if Instant::now() >= deadline {
        Err(wasmtime::Error::new(DeadlineExceeded))
    } else {
        Ok(UpdateDeadline::Yield(1))
    }
}

/// One running edge plugin.
pub struct EdgeInstance<H: 'static> {
    store: Store<EdgeState<H>>,
    bindings: Edge,
    limits: PluginLimits,
    poisoned: bool,
}

impl<H: 'static> std::fmt::Debug for EdgeInstance<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeInstance")
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

/// Converts a frame's description for the guest.
fn frame_info(frame: &Frame) -> FrameInfo {
    FrameInfo {
        camera: frame.camera.clone(),
        seq: frame.seq,
        ts: frame.ts_ms,
        width: frame.width,
        height: frame.height,
        format: match frame.format {
            PixelFormat::Yuyv => camera::PixelFormat::Yuyv,
            PixelFormat::Gray => camera::PixelFormat::Gray,
        },
    }
}

impl<H: EdgeHost> EdgeInstance<H> {
    /// True after a trap, timeout or memory-cap hit: the instance's state
    /// cannot be trusted and it must be replaced.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    pub fn host_mut(&mut self) -> &mut H {
        &mut self.store.data_mut().host
    }

    async fn call<T>(
        &mut self,
        f: impl for<'a> FnOnce(
            &'a Edge,
            &'a mut Store<EdgeState<H>>,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = wasmtime::Result<T>> + Send + 'a>,
        >,
    ) -> std::result::Result<T, CallError>
    where
        T: Send,
    {
        if self.poisoned {
            return Err(CallError::Quarantined);
        }
        let deadline = Instant::now() + self.limits.timeout;
        self.store.set_epoch_deadline(1);
        self.store
            .epoch_deadline_callback(move |_| deadline_check(deadline));
        let timeout_ms = self.limits.timeout.as_millis() as u64;
        let result = tokio::time::timeout(
            self.limits.timeout + Duration::from_millis(500),
            f(&self.bindings, &mut self.store),
        )
        .await;
        match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                self.poisoned = true;
                Err(if e.downcast_ref::<DeadlineExceeded>().is_some() {
                    CallError::Timeout { ms: timeout_ms }
                } else if self.store.data().limiter.hit {
                    CallError::MemoryLimit {
                        bytes: self.limits.memory_bytes,
                    }
                } else {
                    CallError::Trap(e.root_cause().to_string())
                })
            }
            Err(_) => {
                self.poisoned = true;
                Err(CallError::HostStalled)
            }
        }
    }

    pub async fn init(
        &mut self,
        config: &str,
    ) -> std::result::Result<std::result::Result<(), String>, CallError> {
        let config = config.to_owned();
        self.call(move |b, s| {
            Box::pin(async move {
                b.bantong_platform_edge_handler()
                    .call_init(s, &config)
                    .await
            })
        })
        .await
    }

    /// Shows `frame` to the plugin (it stays current for `gray`, `pixels`
    /// and snapshots until the next frame).
    pub async fn on_frame(
        &mut self,
        frame: Arc<Frame>,
    ) -> std::result::Result<std::result::Result<(), String>, CallError> {
        let info = frame_info(&frame);
        self.store.data_mut().frame = Some(frame);
        self.call(move |b, s| {
            Box::pin(async move {
                b.bantong_platform_edge_handler()
                    .call_on_frame(s, &info)
                    .await
            })
        })
        .await
    }

    pub async fn on_command(
        &mut self,
        name: &str,
        args: &str,
    ) -> std::result::Result<std::result::Result<String, String>, CallError> {
        let (name, args) = (name.to_owned(), args.to_owned());
        self.call(move |b, s| {
            Box::pin(async move {
                b.bantong_platform_edge_handler()
                    .call_on_command(s, &name, &args)
                    .await
            })
        })
        .await
    }

    /// Delivers a device event.
    pub async fn on_device(
        &mut self,
        event: DeviceEvent,
    ) -> std::result::Result<std::result::Result<(), String>, CallError> {
        self.call(move |b, s| {
            Box::pin(async move {
                b.bantong_platform_edge_handler()
                    .call_on_device(s, &event)
                    .await
            })
        })
        .await
    }

    pub async fn on_timer(
        &mut self,
        now_ms: i64,
    ) -> std::result::Result<std::result::Result<(), String>, CallError> {
        self.call(move |b, s| {
            Box::pin(async move {
                b.bantong_platform_edge_handler()
                    .call_on_timer(s, now_ms)
                    .await
            })
        })
        .await
    }

    pub async fn health(
        &mut self,
    ) -> std::result::Result<std::result::Result<(), String>, CallError> {
        self.call(|b, s| {
            Box::pin(async move { b.bantong_platform_edge_handler().call_health(s).await })
        })
        .await
    }
}
