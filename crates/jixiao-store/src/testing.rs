//! Databases for tests: a fresh PostgreSQL database per test, cloned from a migrated
//! template, on the throwaway server `JIXIAO_TEST_PG` names (`scripts/test` starts one), and
//! raw SQL on either backend (to play a database from before a migration, or an intruder).

use crate::StoreError;
use sqlx::Connection;

static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

/// The URL of the server for tests (`JIXIAO_TEST_PG`, e.g.
/// `postgres://postgres@127.0.0.1:55432/postgres`), if one is named.
pub fn test_server() -> Option<String> {
    std::env::var("JIXIAO_TEST_PG")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let rest = base.split_once("://").map(|(_, r)| r).unwrap_or(base);
    let base = match rest.find('/') {
        Some(_) => base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base),
        None => base,
    };
    format!("{base}/{name}{query}")
}

/// A new, empty, migrated database on the test server: its URL. Panics (a test set-up
/// failure) when no server is named or it cannot be reached.
pub async fn postgres_database() -> String {
    let server = test_server().expect(
        "JIXIAO_TEST_PG is not set: the PostgreSQL half of the tests needs a server \
         (scripts/test starts a throwaway one; or set JIXIAO_TEST_PG=postgres://…/postgres)",
    );
    let template = TEMPLATE
        .get_or_try_init(|| async {
            let name = format!("jixiao_template_{}", std::process::id());
            let mut admin = sqlx::PgConnection::connect(&server).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut admin)
                .await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await?;
            admin.close().await?;
            let store = crate::PostgresStore::connect(&with_database(&server, &name)).await?;
            store.pool().close().await;
            Ok::<String, StoreError>(name)
        })
        .await
        .unwrap_or_else(|e| panic!("the test server {server} cannot be used: {e}"));
    let name = format!("jixiao_t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("the test server {server} cannot be reached: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
    let _ = admin.close().await;
    with_database(&server, &name)
}

/// A new database on the test server with no schema at all (to play one from before a
/// migration): its URL. Panics when no server is named or it cannot be reached.
pub async fn empty_postgres_database() -> String {
    let server = test_server().expect("JIXIAO_TEST_PG is not set");
    let name = format!("jixiao_e_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("the test server {server} cannot be reached: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
    let _ = admin.close().await;
    with_database(&server, &name)
}

/// Runs statements on the database a location names (a SQLite path or a `postgres://` URL),
/// behind any store's back.
pub async fn execute(location: &str, sql: &str) -> Result<(), sqlx::Error> {
    if crate::is_postgres(location) {
        let mut c = sqlx::PgConnection::connect(location).await?;
        sqlx::raw_sql(sql).execute(&mut c).await?;
        c.close().await
    } else {
        let path = crate::sqlite_path(location);
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}")).await?;
        sqlx::raw_sql(sql).execute(&mut c).await?;
        c.close().await
    }
}
