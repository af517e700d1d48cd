//! `bantong-edge`: the hall edge agent.

fn main() -> anyhow::Result<()> {
    bantong_edge::cli::main()
}
