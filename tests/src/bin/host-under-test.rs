//! The host's CLI (`bantong`), built inside the test crate so integration
//! tests can run its commands — `demo` among them — as a separate process.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = bantong_host::cli::Cli::parse();
    match bantong_host::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
