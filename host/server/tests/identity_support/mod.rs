//! Harness of the identity and audit tests: each test body runs once on a fresh SQLite file
//! and once on a fresh PostgreSQL database, both opened through `bantong_store::Store`.
//!
//! PostgreSQL: `BANTONG_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! is the admin connection used to `CREATE DATABASE bt_<random>` per test and drop it after.
//! An unreachable server fails the test unless `BANTONG_SKIP_PG=1`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;

use bantong_host::identity::{Identity, IdentityConfig, PasswordParams};
use bantong_store::{Store, StoreConfig};
use sqlx::{Connection, Executor};

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs `test` against a fresh, migrated store of the given kind, then cleans up (also when
/// the test panics, whose panic is then re-raised).
pub async fn run<F, Fut>(db: Db, test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    sqlx::any::install_default_drivers();
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("bantong.db").display());
            let store = Store::open(StoreConfig::new(url, dir.path().join("blobs")))
                .await
                .expect("open SQLite store");
            let outcome = tokio::spawn(test(store.clone())).await;
            store.close().await;
            finish(outcome);
        }
        Db::Postgres => {
            if std::env::var("BANTONG_SKIP_PG").is_ok_and(|v| v == "1") {
                eprintln!("BANTONG_SKIP_PG=1: skipping the PostgreSQL run");
                return;
            }
            let admin_url =
                std::env::var("BANTONG_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
            let name = format!("bt_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::AnyConnection::connect(&admin_url)
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is unreachable at {admin_url} ({e}); start it, point \
                     BANTONG_TEST_PG_URL at one, or set BANTONG_SKIP_PG=1"
                    )
                });
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create test database");
            let dir = tempfile::tempdir().expect("temp dir");
            let store = Store::open(StoreConfig::new(
                database_url(&admin_url, &name),
                dir.path().join("blobs"),
            ))
            .await
            .expect("open PostgreSQL store");
            let outcome = tokio::spawn(test(store.clone())).await;
            store.close().await;
            let dropped = admin
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await;
            if let Err(e) = dropped {
                eprintln!("could not drop test database {name}: {e}");
            }
            finish(outcome);
        }
    }
}

fn finish(outcome: Result<(), tokio::task::JoinError>) {
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("test task failed: {e}"),
        }
    }
}

/// The admin URL with its database replaced by `name`.
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Identity settings for tests: cheap argon2, otherwise the defaults.
pub fn test_config() -> IdentityConfig {
    IdentityConfig {
        password: PasswordParams::insecure_fast_for_tests(),
        ..IdentityConfig::default()
    }
}

pub fn identity(store: Store) -> Identity {
    Identity::new(store, test_config()).expect("identity service")
}

/// Declares, for each named `async fn(Store)`, a test on SQLite and one on PostgreSQL.
macro_rules! both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    crate::identity_support::run(crate::identity_support::Db::Sqlite, super::$name)
                        .await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    crate::identity_support::run(
                        crate::identity_support::Db::Postgres,
                        super::$name,
                    )
                    .await
                }
            }
        )*
    };
}
pub(crate) use both_databases;

#[test]
fn database_url_replaces_the_database() {
    assert_eq!(
        database_url("postgres://postgres@127.0.0.1:5432/postgres", "bt_x"),
        "postgres://postgres@127.0.0.1:5432/bt_x"
    );
    assert_eq!(
        database_url("postgres://u:p@h/db?sslmode=disable", "bt_x"),
        "postgres://u:p@h/bt_x?sslmode=disable"
    );
    assert_eq!(
        database_url("postgres://h:5432", "bt_x"),
        "postgres://h:5432/bt_x"
    );
}
