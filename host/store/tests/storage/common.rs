//! Test harness: a fresh database per test on SQLite (temp file) or
//! PostgreSQL (a new `bt_<random>` database, dropped afterwards).
//!
//! PostgreSQL comes from `BANTONG_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). If it is unreachable the
//! PostgreSQL tests fail, unless `BANTONG_SKIP_PG=1` is set.

use std::path::PathBuf;

use bantong_store::{Store, StoreConfig};
use sqlx::Connection as _;

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn skip_pg() -> bool {
    std::env::var("BANTONG_SKIP_PG").is_ok_and(|v| v == "1")
}

fn admin_url() -> String {
    std::env::var("BANTONG_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

/// The same server URL with another database name.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

/// One test's database and blob directory.
pub struct TestDb {
    pub backend: Backend,
    pub store: Store,
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, pg_name) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.path().join("bantong.db").display()),
                None,
            ),
            Backend::Postgres => {
                let admin = admin_url();
                let name = format!("bt_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is unreachable at {admin}: {e}. Start it, point BANTONG_TEST_PG_URL at it, \
                         or set BANTONG_SKIP_PG=1 to skip the PostgreSQL tests"
                    )
                });
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                conn.close().await.ok();
                (with_database(&admin, &name), Some(name))
            }
        };
        let store = Store::open(config(&url, dir.path().join("blobs")))
            .await
            .expect("open store");
        TestDb {
            backend,
            store,
            url,
            dir,
            pg_name,
        }
    }

    pub fn config(&self) -> StoreConfig {
        config(&self.url, self.dir.path().join("blobs"))
    }

    /// A second, independent store (own pool) over the same database.
    pub async fn open_again(&self) -> Store {
        Store::open(self.config()).await.expect("reopen store")
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.dir.path().join("blobs")
    }
}

pub fn config(url: &str, blob_dir: PathBuf) -> StoreConfig {
    let mut c = StoreConfig::new(url, blob_dir);
    c.max_blob_bytes = 64 * 1024;
    c.max_connections = 5;
    c
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let admin = admin_url();
        // Drop from a separate thread with its own runtime: Drop cannot await.
        let handle = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(&sql).execute(&mut conn).await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = handle.join();
    }
}

/// Runs each listed `async fn name(Backend)` once per backend, as
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::common::{Backend, skip_pg};

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if skip_pg() {
                        eprintln!("BANTONG_SKIP_PG=1: skipping the PostgreSQL run");
                        return;
                    }
                    super::$name(Backend::Postgres).await;
                }
            }
        )*
    };
}

#[test]
fn database_names_are_swapped_in_urls() {
    assert_eq!(
        with_database("postgres://u@h:5432/postgres", "bt_x"),
        "postgres://u@h:5432/bt_x"
    );
    assert_eq!(
        with_database("postgres://u@h/postgres?sslmode=disable", "bt_x"),
        "postgres://u@h/bt_x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://u@h", "bt_x"),
        "postgres://u@h/bt_x"
    );
}
