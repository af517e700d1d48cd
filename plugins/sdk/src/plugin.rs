//! The `Plugin` trait vendors implement, and the glue that adapts it to the
//! generated export traits (wired up by `export_plugin!`).

use crate::bindings::bantong::platform::types as wit;
use crate::bindings::exports::bantong::platform::{handler, portal, scheduler, subscriber};
use crate::http::{Request, Response};
use crate::types::{Event, Job};
use crate::view::View;

/// A Bantong plugin. Every method has a default, so implement only what the
/// manifest declares:
///
/// - [`handle`](Plugin::handle) for `[[routes]]` (default: 404 JSON),
/// - [`on_event`](Plugin::on_event) for `[[subscriptions]]` (default: ignore),
/// - [`on_job`](Plugin::on_job) for `[[schedules]]` (default: nothing to do),
/// - [`views`](Plugin::views) for `[[views]]` (default: none).
///
/// Then register the type once with [`export_plugin!`](crate::export_plugin).
///
/// Each call runs in one unit of work: storage writes and published events
/// commit together when the call succeeds (any response, or `Ok` from
/// events and jobs) and are rolled back when it returns `Err`, traps or runs
/// out of time.
pub trait Plugin {
    /// Answers one HTTP request routed to the plugin. Usually
    /// `Router::new().get(…).post(…).handle(req)`.
    fn handle(req: Request) -> Response {
        Response::error(
            404,
            "not_found",
            format!("no route for {} {}", req.method, req.path),
        )
    }

    /// Handles one event of a subscribed topic. Delivery is at least once:
    /// be idempotent on `ev.id`. An `Err` rolls back and retries later.
    fn on_event(ev: Event) -> Result<(), String> {
        let _ = ev;
        Ok(())
    }

    /// Runs one firing of a declared schedule (once cluster-wide).
    /// An `Err` rolls back and is recorded.
    fn on_job(job: Job) -> Result<(), String> {
        let _ = job;
        Ok(())
    }

    /// The portal views; called once when a version is installed. Ids must
    /// match the manifest's `[[views]]`.
    fn views() -> Vec<View> {
        Vec::new()
    }
}

impl<P: Plugin> handler::Guest for P {
    fn handle(req: wit::Request) -> wit::Response {
        <P as Plugin>::handle(Request::from(req))
    }
}

impl<P: Plugin> subscriber::Guest for P {
    fn on_event(ev: wit::Event) -> Result<(), String> {
        <P as Plugin>::on_event(ev)
    }
}

impl<P: Plugin> scheduler::Guest for P {
    fn on_job(job: wit::Job) -> Result<(), String> {
        <P as Plugin>::on_job(job)
    }
}

impl<P: Plugin> portal::Guest for P {
    fn views() -> Vec<portal::View> {
        <P as Plugin>::views()
            .into_iter()
            .map(View::into_wit)
            .collect()
    }
}

/// Exports a [`Plugin`] implementation as the component's `module` world.
///
/// Call it once, at the root of the plugin crate, with the name of the type:
///
/// ```ignore
/// struct VisitorLog;
/// impl bantong_sdk::Plugin for VisitorLog { /* … */ }
/// bantong_sdk::export_plugin!(VisitorLog);
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ident) => {
        // The generated export glue is FFI and needs `unsafe`; it lives in the
        // SDK, this only instantiates it for the plugin type. Component export
        // names (`bantong:platform/handler@0.1.0#handle`) exist only in wasm,
        // so other targets (unit tests, clippy) just check the trait bound.
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            $crate::__export_module_impl! { $plugin with_types_in $crate::__private }
        };
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() = || {
            fn is_plugin<P: $crate::Plugin>() {}
            is_plugin::<$plugin>();
        };
    };
}
