//! A PostgreSQL server of the test's own (a new data folder, its own port and socket folder),
//! for the tests that stop and start the database under load: the machine's shared server is
//! never restarted. Removed on drop.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::free_port;

pub struct PrivatePostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    pub url: String,
}

/// Where `initdb` and `pg_ctl` are: on the PATH, or in Debian's versioned folder.
fn bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|p| p.join("initdb").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program` to run as the `postgres` user when we are root (PostgreSQL refuses to run as
/// root), as ourselves otherwise.
fn command(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// `program args…` (see [`command`]); panics with its output when it fails.
fn run(program: &Path, args: &[&str]) {
    let out = command(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} {args:?}: {}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PrivatePostgres {
    /// A new server, started; `None` (after saying so) when PostgreSQL is not installed.
    pub fn start() -> Option<PrivatePostgres> {
        let Some(bin) = bin_dir() else {
            println!("skipped: no initdb/pg_ctl (Debian `postgresql`)");
            return None;
        };
        let dir = std::env::temp_dir().join(format!(
            "reset-pg-{}",
            hex::encode(reset_bank::rng::random_bytes(&reset_bank::rng::os_rng(), 6))
        ));
        std::fs::create_dir_all(&dir).expect("data folder");
        if is_root() {
            let ok = Command::new("chown")
                .arg("postgres:")
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown the data folder to postgres");
        }
        let data = dir.join("data");
        run(
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        let port = free_port();
        let pg = PrivatePostgres {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            dir,
            bin,
            port,
        };
        pg.start_again();
        Some(pg)
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    pub fn start_again(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=60",
            self.port,
            self.dir.display()
        );
        run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data(),
                "-l",
                &self.dir.join("log").display().to_string(),
                "-o",
                &opts,
                "-w",
                "start",
            ],
        );
    }

    /// `pg_ctl stop -m fast`: sessions are ended, as in a restart for maintenance.
    pub fn stop(&self) {
        run(
            &self.bin.join("pg_ctl"),
            &["-D", &self.data(), "-m", "fast", "-w", "stop"],
        );
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = command(&self.bin.join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
