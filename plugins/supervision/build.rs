//! The supervision plugin's 问题清单 export writes `.xlsx` with `rust_xlsxwriter`, whose
//! DEFLATE (zlib-rs) needs more stack than the 64 KiB every plugin gets by
//! default (`.cargo/config.toml`): give this component 256 KiB.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg=-zstack-size=262144");
    }
}
