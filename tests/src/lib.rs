//! End-to-end tests across processes: the real app window under Xvfb, driven over WebDriver
//! (tauri-driver in front of WebKitWebDriver), against a real reset server.

pub mod webdriver;
pub mod window;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A binary of this workspace, built by the same `cargo build`/`nextest run` as the tests.
pub fn workspace_bin(name: &str) -> PathBuf {
    // Test binaries live in <target>/<profile>/deps; the workspace's binaries one level up.
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target profile folder");
    let bin = profile_dir.join(name);
    assert!(
        bin.exists(),
        "{} is not built; build the workspace first (cargo build --workspace)",
        bin.display()
    );
    bin
}

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the root")
        .to_owned()
}

pub use reset_testkit::free_port;

/// A child process killed when the test ends, however it ends.
pub struct Process {
    child: Child,
    pub name: &'static str,
}

impl Process {
    pub fn spawn(name: &'static str, cmd: &mut Command) -> Process {
        use std::os::unix::process::CommandExt;
        // A group of its own, so what it starts (WebKitWebDriver, the app) goes down with it.
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Process { child, name }
    }

    /// The child's stderr, when it was spawned with `Stdio::piped()`.
    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.stderr.take()
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wait until `ready` holds, or fail the test saying what never came up.
pub fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < timeout,
            "{what} not ready after {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A headless X display of its own, so tests can run side by side.
pub struct Display {
    _xvfb: Process,
    pub name: String,
}

impl Display {
    pub fn start() -> Display {
        // Display numbers from the pid keep parallel test processes apart.
        let base = 100 + (std::process::id() % 400) * 2;
        for n in base..base + 40 {
            if std::path::Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                continue;
            }
            let name = format!(":{n}");
            let xvfb = Process::spawn(
                "Xvfb",
                Command::new("Xvfb")
                    .args([&name, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"])
                    .stderr(Stdio::null()),
            );
            let socket = format!("/tmp/.X11-unix/X{n}");
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if std::path::Path::new(&socket).exists() {
                    return Display { _xvfb: xvfb, name };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("no X display could be started (is Xvfb installed? scripts/test installs it)");
    }
}

/// A reset server process on a fresh SQLite database with the demo customers and dev SMS.
pub struct Server {
    _process: Process,
    /// The customers' API.
    pub url: String,
    /// The staff console's listener.
    pub staff_url: String,
    /// The server's SQLite database, for the CLI commands run beside it.
    pub database_url: String,
    _dir: TempDir,
}

impl Server {
    pub fn start_dev() -> Server {
        let dir = TempDir::new("server");
        let port = free_port();
        let staff_port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let staff_url = format!("http://127.0.0.1:{staff_port}");
        let db = format!("sqlite://{}", dir.path.join("reset.db").display());
        let process = Process::spawn(
            "reset-server",
            Command::new(workspace_bin("reset-server"))
                .args([
                    "serve",
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                    "--staff-listen",
                    &format!("127.0.0.1:{staff_port}"),
                    "--admin-listen",
                    "off",
                    "--database-url",
                    &db,
                    "--dev",
                ])
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null()),
        );
        let health = format!("{url}/healthz");
        wait_for("reset-server", Duration::from_secs(30), || http_ok(&health));
        Server {
            _process: process,
            url,
            staff_url,
            database_url: db,
            _dir: dir,
        }
    }

    /// Adds a staff login for the review console with `reset-server staff add`; the
    /// `otpauth://` address of the second factor it enrolled, as it printed it.
    pub fn add_staff(&self, username: &str, password: &str, role: &str) -> String {
        let out = Command::new(workspace_bin("reset-server"))
            .args(["--database-url", &self.database_url, "staff", "add"])
            .args([
                "--username",
                username,
                "--password",
                password,
                "--role",
                role,
            ])
            .output()
            .expect("reset-server staff add runs");
        assert!(out.status.success(), "reset-server staff add failed");
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .find(|l| l.starts_with("otpauth://totp/"))
            .expect("staff add prints the enrolment address")
            .to_owned()
    }

    /// The newest SMS code the development gateway delivered to `phone` (the outbox sends
    /// in the background, so this waits for it).
    pub async fn latest_code(&self, phone: &str) -> String {
        let start = Instant::now();
        loop {
            let list: serde_json::Value =
                reqwest::get(format!("{}/v1/dev/sms?phone={phone}", self.url))
                    .await
                    .expect("dev sms")
                    .json()
                    .await
                    .expect("dev sms json");
            let code = list["messages"]
                .as_array()
                .and_then(|m| m.last())
                .and_then(|m| m["text"].as_str())
                .and_then(|t| {
                    t.split(|c: char| !c.is_ascii_digit())
                        .find(|s| s.len() == 6)
                        .map(str::to_owned)
                });
            if let Some(code) = code {
                return code;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no SMS code reached {phone}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A folder removed when the test ends.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(what: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "reset-e2e-{what}-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A plain blocking GET that says whether the answer was 200, for start-up probes.
pub fn http_ok(url: &str) -> bool {
    use std::io::{Read, Write};
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let Ok(mut s) = std::net::TcpStream::connect(host) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200")
}
