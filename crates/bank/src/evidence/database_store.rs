//! Sealed evidence in the database (`evidence.store = "database"`, the default on PostgreSQL):
//! every instance sharing the database opens every picture. An upload writes its pictures in the
//! transaction of its case rows (`EvidenceStore::in_database`), so nothing is orphaned when it
//! fails or the instance dies; `put` serves the move from another store.

use std::io;

use super::picture_store::{checked, EvidenceStore, StoreFuture};
use crate::clock::Clock;
use crate::store::{evidence_objects, ms, Db};
use std::sync::Arc;

pub struct DatabaseStore {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl DatabaseStore {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> DatabaseStore {
        DatabaseStore { db, clock }
    }
}

/// A database that does not answer is the store not answering: the caller says
/// `service_unavailable` and keeps nothing.
fn unavailable(e: sqlx::Error) -> io::Error {
    io::Error::other(e)
}

impl EvidenceStore for DatabaseStore {
    fn put<'a>(&'a self, object_id: &'a str, sealed: Vec<u8>) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let id = checked(object_id)?;
            let mut conn = self.db.writer.acquire().await.map_err(unavailable)?;
            evidence_objects::put(&mut conn, id, &sealed, ms(self.clock.now()))
                .await
                .map_err(unavailable)
        })
    }

    fn get<'a>(&'a self, object_id: &'a str) -> StoreFuture<'a, Vec<u8>> {
        Box::pin(async move {
            evidence_objects::get(&self.db, checked(object_id)?)
                .await
                .map_err(unavailable)?
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
        })
    }

    fn delete<'a>(&'a self, object_id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            evidence_objects::delete(&self.db, checked(object_id)?)
                .await
                .map_err(unavailable)
        })
    }

    fn in_database(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "database"
    }
}
