//! Sealed evidence in S3-compatible object storage (`evidence.store = "s3"`), for banks that keep
//! pictures in an object store, through the `object_store` crate. Objects are
//! `<prefix><object id>.sealed`; what lies there is already encrypted with the case's key, so
//! the store learns nothing of the customer.

use std::io;
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use reset_flow::wire::Sensitive;
use serde::{Deserialize, Serialize};

use super::picture_store::{checked, EvidenceStore, StoreFuture};

/// `[evidence.s3]` settings. Credentials come from here or, when empty, from the usual
/// `AWS_*` variables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    /// `https://…` of an S3-compatible service; empty for AWS itself.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    /// Put before every object's name, e.g. `evidence/`.
    pub prefix: String,
    pub access_key_id: String,
    /// Redacted in `Debug`, like every secret of the settings.
    pub secret_access_key: Sensitive,
    /// Plain `http` to the endpoint: only for a test server on this machine.
    pub allow_http: bool,
}

pub struct S3Store {
    inner: Arc<dyn ObjectStore>,
    prefix: String,
}

impl S3Store {
    pub fn open(s: &S3Settings) -> Result<S3Store, String> {
        if s.bucket.is_empty() {
            return Err("evidence.s3.bucket is not set".into());
        }
        let mut b = AmazonS3Builder::from_env().with_bucket_name(&s.bucket);
        if !s.region.is_empty() {
            b = b.with_region(&s.region);
        }
        if !s.endpoint.is_empty() {
            b = b.with_endpoint(&s.endpoint);
        }
        if !s.access_key_id.is_empty() {
            b = b
                .with_access_key_id(&s.access_key_id)
                .with_secret_access_key(s.secret_access_key.expose());
        }
        let store = b
            .with_allow_http(s.allow_http)
            .build()
            .map_err(|e| format!("evidence.s3: {e}"))?;
        Ok(S3Store {
            inner: Arc::new(store),
            prefix: s.prefix.clone(),
        })
    }

    fn path(&self, id: &str) -> io::Result<ObjectPath> {
        Ok(ObjectPath::from(format!(
            "{}{}.sealed",
            self.prefix,
            checked(id)?
        )))
    }
}

fn io_error(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { .. } => io::Error::from(io::ErrorKind::NotFound),
        other => io::Error::other(other),
    }
}

impl EvidenceStore for S3Store {
    fn put<'a>(&'a self, object_id: &'a str, sealed: Vec<u8>) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path(object_id)?;
            self.inner
                .put(&path, PutPayload::from(sealed))
                .await
                .map(drop)
                .map_err(io_error)
        })
    }

    fn get<'a>(&'a self, object_id: &'a str) -> StoreFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let path = self.path(object_id)?;
            let got = self.inner.get(&path).await.map_err(io_error)?;
            Ok(got.bytes().await.map_err(io_error)?.to_vec())
        })
    }

    fn delete<'a>(&'a self, object_id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path(object_id)?;
            match self.inner.delete(&path).await {
                Err(object_store::Error::NotFound { .. }) => Ok(()),
                other => other.map_err(io_error),
            }
        })
    }

    fn name(&self) -> &'static str {
        "s3"
    }
}
