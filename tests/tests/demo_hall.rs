//! The main job: `bantong demo` (what `cargo xtask demo` runs) comes up on
//! SQLite with its embedded broker, and its simulated hall works — the
//! edge agent inside the demo compiles and runs camera-watch, queue,
//! rating and kiosk, and the simulated citizens' tickets, calls and
//! 好差评 ratings reach the host's database, with ID numbers masked.

use std::process::{Command, Stdio};
use std::time::Duration;

use bantong_tests::edge::{eventually, free_port};

const HOST: &str = env!("CARGO_BIN_EXE_host-under-test");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_hall_runs_its_plugins_and_citizens_come_by() {
    let root = bantong_tests::app::repo_root();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut demo = Command::new(HOST)
        .arg("demo")
        .arg("--plugins")
        .arg(root.join("plugins"))
        .arg("--examples")
        .arg(root.join("examples"))
        .arg("--wasm-dir")
        .arg(bantong_tests::app::wasm_dir())
        .env("BANTONG_DATA_DIR", dir.path())
        .env("BANTONG_LISTEN", format!("127.0.0.1:{port}"))
        .env("BANTONG_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("sqlite://{}", dir.path().join("bantong.db").display());
    let kinds = eventually(
        Duration::from_secs(180),
        "tickets, calls and ratings from the demo hall",
        || async {
            let pool = sqlx::SqlitePool::connect(&url).await.ok()?;
            let kinds: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT kind FROM edge_events WHERE agent_id = 'bailou-edge-1'",
            )
            .fetch_all(&pool)
            .await
            .ok()?;
            pool.close().await;
            [
                "queue.ticket",
                "queue.call",
                "haocha.rating",
                "queue.summary",
            ]
            .iter()
            .all(|k| kinds.iter().any(|x| x == k))
            .then_some(kinds)
        },
    )
    .await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let plugins: String = sqlx::query_scalar(
        "SELECT COALESCE(report, '') FROM edge_agents WHERE id = 'bailou-edge-1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    for plugin in ["camera-watch", "queue", "rating", "kiosk"] {
        assert!(
            plugins.contains(&format!("\"{plugin}\"")),
            "{plugin} in {plugins}"
        );
    }
    assert!(!plugins.contains("\"failed\""), "{plugins}");
    // Citizens' cards carry whole ID numbers; none reached the host.
    let data: Vec<String> =
        sqlx::query_scalar("SELECT data FROM edge_events WHERE agent_id = 'bailou-edge-1'")
            .fetch_all(&pool)
            .await
            .unwrap();
    for d in &data {
        assert!(!looks_like_whole_id(d), "a whole ID number in {d}");
    }
    assert!(kinds.len() >= 4);
    let _ = demo.kill();
    let _ = demo.wait();
}

/// Whether `text` holds 18 characters that look like a whole ID number
/// (17 digits and a digit or X in a row). Deliberately independent of (and
/// broader than) the agent's scrubber, which is what is under test.
fn looks_like_whole_id(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(18).any(|w| {
        w[..17].iter().all(char::is_ascii_digit) && (w[17].is_ascii_digit() || w[17] == 'X')
    })
}
