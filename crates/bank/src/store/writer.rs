//! The one way to write: a connection for a statement or a transaction that changes rows.
//!
//! On PostgreSQL writers go side by side on the pool's connections. On SQLite a file has one
//! writer at a time whatever the pool, so there is one writing connection, taken in turn in
//! the order asked for (a fair lock), instead of SQLite's busy handler, which sleeps in steps
//! of up to 100 ms and made the slowest requests slow. That connection is not a pool's: a
//! pool gives a connection back from a task of its own and first tests it with a round trip
//! to SQLite's thread, and the next writer waited for both on every write (measured with the
//! reset bench). A transaction left without commit or rollback (a request given up half way)
//! is rolled back before the next writer's first statement.
//!
//! Each statement sent is a round trip to the thread that owns the SQLite connection, and a
//! transaction holds the one writer for all of its round trips. So a step's statements whose
//! answers nothing in between depends on are sent together ([`Writer::begin_with`],
//! [`WriteTx::run`], [`WriteTx::commit_with`]): on SQLite as one query, with the `BEGIN` or
//! the `COMMIT`; on PostgreSQL one by one, side by side with other writers anyway. SQLite's
//! transaction is therefore begun and ended by plain statements, not by sqlx's transaction
//! manager, which would not know of a `BEGIN` sent among others.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Database, TransactionManager};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::statement::{run_each, run_together, Outcome, Statement};

type Manager = <Any as Database>::TransactionManager;

/// Where writes go: shared by every clone.
#[derive(Clone)]
pub enum Writer {
    /// PostgreSQL: the pool's connections.
    Pool(AnyPool),
    /// SQLite: the one writing connection, taken in turn.
    One(Arc<Mutex<SqliteWriter>>),
}

/// SQLite's writing connection, and whether a transaction may have been left open on it.
pub struct SqliteWriter {
    conn: AnyConnection,
    left_open: bool,
}

impl SqliteWriter {
    pub fn new(conn: AnyConnection) -> SqliteWriter {
        SqliteWriter {
            conn,
            left_open: false,
        }
    }
}

/// A writing connection, held until dropped.
pub enum WriteConn {
    Pool(PoolConnection<Any>),
    One(OwnedMutexGuard<SqliteWriter>),
}

/// A write transaction: committed with [`WriteTx::commit`], rolled back otherwise.
pub struct WriteTx {
    conn: WriteConn,
    open: bool,
}

impl Writer {
    /// How long a request waits for the writing connection before it is answered
    /// `service_unavailable` (the pool's own acquire timeout, on PostgreSQL).
    pub const WAIT: Duration = Duration::from_secs(3);

    /// The writing connection, once the writers before have done.
    pub async fn acquire(&self) -> Result<WriteConn, sqlx::Error> {
        match self {
            Writer::Pool(pool) => Ok(WriteConn::Pool(pool.acquire().await?)),
            Writer::One(writer) => {
                let mut writer = tokio::time::timeout(Self::WAIT, writer.clone().lock_owned())
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)?;
                if writer.left_open {
                    roll_back(&mut writer.conn).await?;
                    writer.left_open = false;
                }
                Ok(WriteConn::One(writer))
            }
        }
    }

    /// A transaction on the writing connection.
    pub async fn begin(&self) -> Result<WriteTx, sqlx::Error> {
        Ok(self.begin_with(Vec::new()).await?.0)
    }

    /// A transaction begun with `statements` in it (on SQLite the `BEGIN` and the statements
    /// in one round trip), and their outcomes in order.
    pub async fn begin_with(
        &self,
        statements: Vec<Statement>,
    ) -> Result<(WriteTx, Vec<Outcome>), sqlx::Error> {
        let mut conn = self.acquire().await?;
        if let WriteConn::Pool(pooled) = &mut conn {
            Manager::begin(pooled, None).await?;
        }
        // Open from here: given up while the statements are on their way, it is rolled back.
        let mut tx = WriteTx { conn, open: true };
        let outcomes = match &mut tx.conn {
            WriteConn::Pool(pooled) => run_each(pooled, statements).await?,
            WriteConn::One(writer) => {
                run_together(&mut writer.conn, Some("BEGIN"), statements, None).await?
            }
        };
        Ok((tx, outcomes))
    }
}

/// Rolls back whatever transaction is open on SQLite's writer. None open is no error: a
/// `BEGIN` that never ran, or a transaction SQLite rolled back itself (on a full disk).
async fn roll_back(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    match Statement::new("ROLLBACK").run(conn).await {
        Err(sqlx::Error::Database(e)) if e.message().contains("no transaction is active") => Ok(()),
        done => done.map(drop),
    }
}

impl Deref for WriteConn {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            WriteConn::Pool(conn) => conn,
            WriteConn::One(writer) => &writer.conn,
        }
    }
}

impl DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            WriteConn::Pool(conn) => conn,
            WriteConn::One(writer) => &mut writer.conn,
        }
    }
}

impl WriteTx {
    /// Runs `statements` in the transaction (on SQLite in one round trip): their outcomes.
    pub async fn run(&mut self, statements: Vec<Statement>) -> Result<Vec<Outcome>, sqlx::Error> {
        match &mut self.conn {
            WriteConn::Pool(pooled) => run_each(pooled, statements).await,
            WriteConn::One(writer) => run_together(&mut writer.conn, None, statements, None).await,
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.commit_with(Vec::new()).await.map(drop)
    }

    /// Runs `statements` and commits (on SQLite in one round trip): their outcomes.
    pub async fn commit_with(
        mut self,
        statements: Vec<Statement>,
    ) -> Result<Vec<Outcome>, sqlx::Error> {
        let outcomes = match &mut self.conn {
            WriteConn::Pool(pooled) => {
                let outcomes = run_each(pooled, statements).await?;
                Manager::commit(pooled).await?;
                outcomes
            }
            WriteConn::One(writer) => {
                run_together(&mut writer.conn, None, statements, Some("COMMIT")).await?
            }
        };
        self.open = false;
        Ok(outcomes)
    }

    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        match &mut self.conn {
            WriteConn::Pool(pooled) => Manager::rollback(pooled).await?,
            WriteConn::One(writer) => roll_back(&mut writer.conn).await?,
        }
        self.open = false;
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open {
            match &mut self.conn {
                // Queued on the connection: it runs before anything the next writer sends.
                WriteConn::Pool(pooled) => Manager::start_rollback(pooled),
                WriteConn::One(writer) => {
                    // Rolled back by the next writer before its first statement, and by a
                    // task of its own meanwhile, so the file's write lock is not kept while no
                    // other writer comes.
                    writer.left_open = true;
                    let writer = Writer::One(OwnedMutexGuard::mutex(writer).clone());
                    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                        runtime.spawn(async move { writer.acquire().await.map(drop) });
                    }
                }
            }
        }
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}
