//! Connecting (SQLite file created on first run, in WAL mode; PostgreSQL for several instances)
//! and running the embedded migrations once per database.

use std::sync::Arc;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use super::writer::{SqliteWriter, Writer};

const SQLITE_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/sqlite/0002_live_flows.sql"),
    ),
    (
        3,
        include_str!("../../migrations/sqlite/0003_review_cases.sql"),
    ),
    (
        4,
        include_str!("../../migrations/sqlite/0004_staff_sessions.sql"),
    ),
    (
        5,
        include_str!("../../migrations/sqlite/0005_id_reading.sql"),
    ),
    (
        6,
        include_str!("../../migrations/sqlite/0006_bounds_per_id.sql"),
    ),
    (
        7,
        include_str!("../../migrations/sqlite/0007_one_lockout_rule.sql"),
    ),
    (
        8,
        include_str!("../../migrations/sqlite/0008_evidence_objects.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/postgres/0002_live_flows.sql"),
    ),
    (
        3,
        include_str!("../../migrations/postgres/0003_review_cases.sql"),
    ),
    (
        4,
        include_str!("../../migrations/postgres/0004_staff_sessions.sql"),
    ),
    (
        5,
        include_str!("../../migrations/postgres/0005_id_reading.sql"),
    ),
    (
        6,
        include_str!("../../migrations/postgres/0006_bounds_per_id.sql"),
    ),
    (
        7,
        include_str!("../../migrations/postgres/0007_one_lockout_rule.sql"),
    ),
    (
        8,
        include_str!("../../migrations/postgres/0008_evidence_objects.sql"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The pools and which database is behind them.
#[derive(Clone)]
pub struct Db {
    /// For reads (and for the migrations and tools, which run alone).
    pub pool: AnyPool,
    /// For every write: each transaction, and each statement that changes a row. On SQLite
    /// one connection taken in turn (see [`Writer`]); reads go on meanwhile on `pool` (WAL).
    /// On PostgreSQL the same pool as `pool`. A write must never wait for the writer while it
    /// holds it: with one connection that waits for ever.
    pub writer: Writer,
    pub backend: Backend,
}

impl Db {
    /// Connects to `url` (`sqlite://file.db`, `postgres://…`). A SQLite file is created if missing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            let url = if url.contains("mode=") {
                url.to_owned()
            } else if url.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(sqlx::Error::Configuration(
                "database URL must start with sqlite: or postgres:".into(),
            ));
        };
        // A request waits at most a few seconds for a connection: with the database down it
        // answers `service_unavailable` then instead of hanging (sqlx's default is 30 s).
        let options = |n: u32| {
            let options = AnyPoolOptions::new()
                .max_connections(n.max(1))
                .acquire_timeout(std::time::Duration::from_secs(3));
            if backend != Backend::Sqlite {
                return options;
            }
            // A SQLite connection is a file in this process and does not go stale: no test
            // query on every checkout (each is a round trip to the connection's thread).
            options.test_before_acquire(false).after_connect(|conn, _| {
                Box::pin(async move {
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA busy_timeout = 10000",
                        "PRAGMA synchronous = NORMAL",
                        // Pages read through a memory map, not a read call each.
                        "PRAGMA mmap_size = 268435456",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
        };
        let readers = match backend {
            // Each SQLite connection is a thread of this process doing CPU work (reads never
            // wait on the network): more than two a core only add thread switches, measured
            // with the reset bench (16 against 4 on two cores: p99 36 against 22 ms).
            Backend::Sqlite => {
                let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
                max_connections.min(2 * cores)
            }
            Backend::Postgres => max_connections,
        };
        let pool = options(readers).connect(&url).await?;
        let writer = match backend {
            Backend::Sqlite => {
                // The pool only opens it (with the pragmas) and lets go of it.
                let opener = options(1).connect(&url).await?;
                let conn = opener.acquire().await?.detach();
                opener.close().await;
                Writer::One(Arc::new(tokio::sync::Mutex::new(SqliteWriter::new(conn))))
            }
            Backend::Postgres => Writer::Pool(pool.clone()),
        };
        Ok(Db {
            pool,
            writer,
            backend,
        })
    }

    /// Applies the migrations this database has not seen yet. Safe to run from several
    /// instances at once on PostgreSQL (an advisory lock serialises them).
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let migrations = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT 1 FROM (SELECT pg_advisory_lock(7206311)) AS l")
                .execute(&mut *conn)
                .await?;
        }
        let result = async {
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS schema_migrations \
                 (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )
            .execute(&mut *conn)
            .await?;
            let done: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r: &AnyRow| r.try_get::<i64, _>(0))
                .collect::<Result<_, _>>()?;
            for (version, sql) in migrations {
                if done.contains(version) {
                    continue;
                }
                sqlx::query("BEGIN").execute(&mut *conn).await?;
                for stmt in sql
                    .split("\n--;\n")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    if let Err(e) = sqlx::query(stmt).execute(&mut *conn).await {
                        sqlx::query("ROLLBACK").execute(&mut *conn).await?;
                        return Err(e);
                    }
                }
                sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                    .bind(*version)
                    .bind(super::ms(time::OffsetDateTime::now_utc()))
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("COMMIT").execute(&mut *conn).await?;
            }
            Ok(())
        }
        .await;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT 1 FROM (SELECT pg_advisory_unlock(7206311)) AS l")
                .execute(&mut *conn)
                .await?;
        }
        result
    }

    /// For readiness: the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}
