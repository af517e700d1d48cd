//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the
//! migration folders at compile time but does not notice new files.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
