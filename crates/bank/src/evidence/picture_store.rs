//! Where sealed evidence lies: the `EvidenceStore` trait (put, get, delete by a random object
//! id) and the folder store for one machine. The database store (`database_store.rs`) and the
//! S3 store (`s3_store.rs`) serve several instances.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'a>>;

/// Sealed (already encrypted) objects by id. Ids are 32 lowercase hex digits drawn at random;
/// nothing about the customer is in a name.
pub trait EvidenceStore: Send + Sync {
    fn put<'a>(&'a self, object_id: &'a str, sealed: Vec<u8>) -> StoreFuture<'a, ()>;
    fn get<'a>(&'a self, object_id: &'a str) -> StoreFuture<'a, Vec<u8>>;
    /// Deleting an object that is not there succeeds (purge may run twice).
    fn delete<'a>(&'a self, object_id: &'a str) -> StoreFuture<'a, ()>;
    /// Whether objects live in the service's own database: an upload then writes them in the
    /// transaction of its case rows instead of calling `put` before it.
    fn in_database(&self) -> bool {
        false
    }
    /// The store's kind, for logs and the move between stores.
    fn name(&self) -> &'static str;
}

/// Whether `id` is a well-formed object id; anything else never reaches a file name.
pub fn valid_object_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub(crate) fn checked(id: &str) -> io::Result<&str> {
    if valid_object_id(id) {
        Ok(id)
    } else {
        Err(io::Error::new(io::ErrorKind::InvalidInput, "bad object id"))
    }
}

/// Objects as files `<dir>/<id>.sealed`, written to a temporary name and renamed, so a reader
/// never sees half a file.
pub struct DiskStore {
    dir: PathBuf,
}

impl DiskStore {
    /// Creates the folder (readable by the owner only, on Unix) if it is missing.
    pub fn open(dir: &Path) -> io::Result<DiskStore> {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(DiskStore {
            dir: dir.to_owned(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str) -> io::Result<PathBuf> {
        Ok(self.dir.join(format!("{}.sealed", checked(id)?)))
    }
}

/// `bytes` to `tmp`, on disk, then renamed to `path` and the rename made durable: a crash
/// leaves the old state or the whole new file, and a failed write (a full disk) no file at all.
fn write_durably(dir: &Path, tmp: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let written = (|| {
        let mut file = std::fs::File::create(tmp)?;
        file.write_all(bytes)?;
        // On disk before the case row that names it commits.
        file.sync_data()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(tmp);
        return Err(e);
    }
    std::fs::rename(tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

impl EvidenceStore for DiskStore {
    fn put<'a>(&'a self, object_id: &'a str, sealed: Vec<u8>) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path(object_id)?;
            let tmp = self.dir.join(format!("{object_id}.tmp"));
            let dir = self.dir.clone();
            // Plain blocking writes on the blocking pool: tokio's `File` reports a failed
            // write only at the next flush, and `sync_data` does not flush, so a full disk
            // left empty files that were taken as stored (found by the disk-full test).
            tokio::task::spawn_blocking(move || write_durably(&dir, &tmp, &path, &sealed))
                .await
                .map_err(io::Error::other)?
        })
    }

    fn get<'a>(&'a self, object_id: &'a str) -> StoreFuture<'a, Vec<u8>> {
        Box::pin(async move { tokio::fs::read(self.path(object_id)?).await })
    }

    fn delete<'a>(&'a self, object_id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path(object_id)?).await {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        })
    }

    fn name(&self) -> &'static str {
        "disk"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_delete_and_bad_ids() {
        let dir = std::env::temp_dir().join(format!(
            "reset-store-{}",
            hex::encode(crate::rng::random_bytes(&crate::rng::os_rng(), 8))
        ));
        let store = DiskStore::open(&dir).unwrap();
        let id = "0123456789abcdef0123456789abcdef";
        store.put(id, b"sealed".to_vec()).await.unwrap();
        assert_eq!(store.get(id).await.unwrap(), b"sealed");
        store.delete(id).await.unwrap();
        store.delete(id).await.unwrap();
        assert_eq!(
            store.get(id).await.unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        for bad in ["../../etc/passwd", "", "0123456789ABCDEF0123456789ABCDEF"] {
            assert_eq!(
                store.put(bad, vec![1]).await.unwrap_err().kind(),
                io::ErrorKind::InvalidInput
            );
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
