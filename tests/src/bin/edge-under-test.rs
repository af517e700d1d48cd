//! The edge agent's CLI, built inside the test crate so integration tests
//! can start it as a separate process (and kill it with SIGKILL).

fn main() -> anyhow::Result<()> {
    bantong_edge::cli::main()
}
