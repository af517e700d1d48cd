//! The one place that runs `wasmtime::component::bindgen!` over the WIT
//! package in `wit/platform`; everything else imports these types.

mod generated {
    wasmtime::component::bindgen!({
        path: "../../wit/platform",
        world: "module",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

mod generated_edge {
    wasmtime::component::bindgen!({
        path: "../../wit/platform",
        world: "edge",
        imports: { default: trappable },
        exports: { default: async },
    });
}

/// Generated types of the `edge` world (a separate generation: its shared
/// interfaces are distinct Rust types from the `module` world's).
pub mod edge_wit {
    pub use super::generated_edge::Edge;
    pub use super::generated_edge::EdgePre;
    pub use super::generated_edge::bantong::platform::camera::{FrameInfo, PixelFormat};
    pub use super::generated_edge::bantong::platform::catalogue::Published;
    pub use super::generated_edge::bantong::platform::log::Level;
    pub use super::generated_edge::bantong::platform::peripherals::{Device, DeviceEvent};
    pub use super::generated_edge::bantong::platform::types::Error as HostError;

    /// The generated host traits, implemented by [`crate::edge::EdgeState`].
    pub mod traits {
        pub use super::super::generated_edge::bantong::platform::{
            camera, catalogue, clock, config, log, peripherals, types, uplink,
        };
    }
}

/// Generated types of `bantong:platform@0.1.5` (which also runs plugins built
/// against 0.1.0 to 0.1.4), re-exported under short names.
pub mod wit {
    pub use super::generated::Module;
    pub use super::generated::ModulePre;
    pub use super::generated::bantong::platform::blobs::BlobRef;
    pub use super::generated::bantong::platform::calendar::Arrangement;
    pub use super::generated::bantong::platform::catalogue::Published;
    pub use super::generated::bantong::platform::directory::{
        Hall as DirectoryHall, Person as DirectoryPerson,
    };
    pub use super::generated::bantong::platform::documents::{
        Format as DocumentFormat, PageImages,
    };
    pub use super::generated::bantong::platform::log::Level;
    pub use super::generated::bantong::platform::notices::{Channel, Notice};
    pub use super::generated::bantong::platform::storage::{
        AggregateFn, AggregateQuery, Direction, Document, DocumentQuery, Filter, Group, Metric, Op,
        Page, Selection, SortKey, Write,
    };
    pub use super::generated::bantong::platform::types::{
        Caller, Error as HostError, Event, Job, Method, Request, Response,
    };
    pub use super::generated::exports::bantong::platform::portal::{View, ViewKind};

    /// The generated host traits, implemented by [`crate::HostState`].
    pub mod traits {
        pub use super::super::generated::bantong::platform::{
            audit, blobs, calendar, catalogue, clock, config, directory, documents, events, log,
            modules, notices, storage, types,
        };
    }
}
