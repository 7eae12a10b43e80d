//! The one way to write: a connection for a statement or a transaction that changes rows.
//!
//! On PostgreSQL writers go side by side on the pool's connections. On SQLite a file has one
//! writer at a time whatever the pool, so there is one writing connection, taken in turn in
//! the order asked for (a fair lock), instead of SQLite's busy handler, which sleeps in steps
//! of up to 100 ms and made the slowest requests slow. That connection is not a pool's: a
//! pool gives a connection back from a task of its own and first tests it with a round trip
//! to SQLite's thread, and the next writer waited for both on every write (measured with the
//! reset bench). A transaction left without commit or rollback (a request given up half way)
//! is rolled back before the next writer's first statement, as sqlx's own transactions are.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Database, TransactionManager};
use tokio::sync::{Mutex, OwnedMutexGuard};

type Manager = <Any as Database>::TransactionManager;

/// Where writes go: shared by every clone.
#[derive(Clone)]
pub enum Writer {
    /// PostgreSQL: the pool's connections.
    Pool(AnyPool),
    /// SQLite: the one writing connection, taken in turn.
    One(Arc<Mutex<AnyConnection>>),
}

/// A writing connection, held until dropped.
pub enum WriteConn {
    Pool(PoolConnection<Any>),
    One(OwnedMutexGuard<AnyConnection>),
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
            Writer::One(conn) => tokio::time::timeout(Self::WAIT, conn.clone().lock_owned())
                .await
                .map(WriteConn::One)
                .map_err(|_| sqlx::Error::PoolTimedOut),
        }
    }

    /// A transaction on the writing connection.
    pub async fn begin(&self) -> Result<WriteTx, sqlx::Error> {
        let mut conn = self.acquire().await?;
        Manager::begin(&mut conn, None).await?;
        Ok(WriteTx { conn, open: true })
    }
}

impl Deref for WriteConn {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            WriteConn::Pool(conn) => conn,
            WriteConn::One(conn) => conn,
        }
    }
}

impl DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            WriteConn::Pool(conn) => conn,
            WriteConn::One(conn) => conn,
        }
    }
}

impl WriteTx {
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        Manager::commit(&mut self.conn).await?;
        self.open = false;
        Ok(())
    }

    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        Manager::rollback(&mut self.conn).await?;
        self.open = false;
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open {
            // Queued on the connection: it runs before anything the next writer sends.
            Manager::start_rollback(&mut self.conn);
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
