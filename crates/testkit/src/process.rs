//! A `reset-server` running as a process of its own (benchmarks, restarts): spawned from the
//! caller's command, waited for until `/readyz` answers, killed and reaped on drop.

use std::process::{Child, Command};
use std::time::Duration;

pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl ServerProcess {
    /// Spawns `command` (which must listen on `port`) and waits up to 20 s for it to be ready.
    // The child is killed and waited for by Drop; the lint cannot see through it.
    #[allow(clippy::zombie_processes)]
    pub async fn spawn(mut command: Command, port: u16) -> ServerProcess {
        let child = command.spawn().expect("spawn reset-server");
        let server = ServerProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..1000 {
            let ready = client.get(format!("{}/readyz", server.base)).send().await;
            if ready.is_ok_and(|r| r.status() == 200) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("reset-server did not become ready on port {port}");
    }

    /// The process id, for reading its memory from /proc.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
