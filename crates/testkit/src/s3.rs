//! An S3-compatible server for tests and benchmarks: `s3s-fs` (from crates.io, installed by
//! `scripts/test`) serving a temporary folder with one bucket on a free loopback port, killed
//! and its folder removed on drop. The folder shows what the store really holds.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reset_bank::evidence::S3Settings;

const ACCESS_KEY: &str = "test-access";
const SECRET_KEY: &str = "test-secret";

pub struct S3Server {
    child: Child,
    /// The served folder: the bucket is a folder in it.
    pub root: PathBuf,
    pub bucket: String,
    pub endpoint: String,
}

impl S3Server {
    /// Starts one with an empty `bucket`; `None` (and a line saying so) without `s3s-fs`.
    pub async fn start(bucket: &str) -> Option<S3Server> {
        let port = crate::free_port();
        let root = std::env::temp_dir().join(format!("reset-s3-{}-{port}", std::process::id()));
        std::fs::create_dir_all(root.join(bucket)).ok()?;
        let Ok(child) = Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            eprintln!("skipped: no s3s-fs on PATH (scripts/test installs it)");
            let _ = std::fs::remove_dir_all(&root);
            return None;
        };
        let server = S3Server {
            child,
            root,
            bucket: bucket.to_owned(),
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("s3s-fs did not start");
    }

    /// The evidence store's settings for this server, objects under `prefix`.
    pub fn settings(&self, prefix: &str) -> S3Settings {
        S3Settings {
            endpoint: self.endpoint.clone(),
            bucket: self.bucket.clone(),
            region: "us-east-1".into(),
            prefix: prefix.into(),
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
            allow_http: true,
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
