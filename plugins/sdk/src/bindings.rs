//! The generated bindings of `bantong:platform@0.1.5`, world `module`.
//!
//! Private to the SDK: vendors use the curated types and helpers the crate
//! root re-exports, and `export_plugin!` reaches the generated export glue
//! through `crate::__private`.

// The generated glue is FFI code: it needs `unsafe`, and clippy has opinions
// about code nobody here writes by hand.
#![allow(
    unsafe_code,
    unused_imports,
    clippy::all,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

wit_bindgen::generate!({
    path: "../../wit/platform",
    world: "module",
    // `export_plugin!` runs in the vendor's crate, so the generated export
    // macros must be reachable from there.
    pub_export_macro: true,
    default_bindings_module: "$crate::__private",
    additional_derives: [PartialEq],
});
