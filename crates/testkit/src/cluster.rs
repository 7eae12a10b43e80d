//! Past one machine, as an operator runs it: `reset-server` processes on one database behind a
//! real HAProxy (round robin, health checks on `/readyz`, `X-Forwarded-For` added), each
//! instance killable with SIGKILL and restartable on its own ports. The customers' and the
//! staff's frontends are the balancer's; [`Cluster::view`] is a [`TestServer`] whose calls go
//! through the balancer, with the shared database beside it for the tests' checks.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::{free_port, TestServer, TEST_MASTER_KEYS};

/// One `reset-server` process and the ports it keeps across restarts.
struct Instance {
    child: Option<Child>,
    port: u16,
    staff_port: u16,
    admin_port: u16,
    log: PathBuf,
}

pub struct Cluster {
    /// The balancer's customer frontend.
    pub base: String,
    /// The balancer's staff frontend.
    pub staff_base: String,
    /// Path A and B helpers through the balancer; its `state` is over the shared database and
    /// serves nothing itself.
    pub view: TestServer,
    instances: Vec<Instance>,
    balancer: Child,
    dir: PathBuf,
    bin: PathBuf,
    db_url: String,
    env: Vec<(String, String)>,
}

/// The settings every instance shares, as an operator's config file would hold them: the
/// balancer's address is a trusted proxy, pictures in the database, one master key.
fn config_file(dir: &Path) -> PathBuf {
    let path = dir.join("reset.toml");
    let text = format!(
        r#"trusted_proxies = ["127.0.0.1/32"]
db_max_connections = 5

[hashing]
m_kib = 256
t = 1

[limits]
login = 10000
start_reset = 10000
send_code = 10000
verify_code = 10000
set_password = 10000
status = 10000
staff_login = 10000
upload = 10000

[sms]
poll_ms = 20

[evidence]
store = "database"
master_keys = "{TEST_MASTER_KEYS}"

[ocr]
enabled = false
"#
    );
    std::fs::write(&path, text).expect("write the instances' config");
    path
}

/// The HAProxy configuration: one customer and one staff frontend, each balancing round robin
/// over every instance. A server is out after one failed `/readyz` and back after one good one;
/// a request whose connection is refused goes to the other instance, and so does one sent on a
/// kept-alive connection to an instance that died before answering (`empty-response`): without
/// it HAProxy closes the customer's connection with no answer at all, to have the client try
/// again, which an app's HTTP client does not do after its request went out. Sending a request
/// twice is safe in this API (codes are single-use, steps are checked, a case is decided once),
/// as a customer tapping again would; a body larger than HAProxy's buffer is not retried. Answers name the instance
/// that served them (`X-Instance`). With no instance up the balancer answers as an instance
/// would, `503 service_unavailable` in the API's JSON, so the app shows its usual message.
fn balancer_config(
    customer: u16,
    staff: u16,
    instances: &[Instance],
    unavailable: &Path,
) -> String {
    let servers = |port: fn(&Instance) -> u16| {
        instances
            .iter()
            .enumerate()
            .map(|(i, inst)| format!("  server i{i} 127.0.0.1:{}\n", port(inst)))
            .collect::<String>()
    };
    format!(
        "global
  maxconn 4096

defaults
  mode http
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  timeout http-request 120s
  retries 3
  retry-on conn-failure empty-response
  option redispatch
  option forwardfor
  option httpchk GET /readyz
  default-server check inter 250ms fall 1 rise 1
  errorfile 503 {}

frontend customers
  bind 127.0.0.1:{customer}
  default_backend customers

backend customers
  balance roundrobin
  http-response set-header X-Instance %[srv_name]
{}
frontend staff
  bind 127.0.0.1:{staff}
  default_backend staff

backend staff
  balance roundrobin
  http-response set-header X-Instance %[srv_name]
{}",
        unavailable.display(),
        servers(|i| i.port),
        // The staff listener has no /readyz of its own: the same process's customer port
        // answers for it.
        instances
            .iter()
            .enumerate()
            .map(|(i, inst)| format!(
                "  server i{i} 127.0.0.1:{} check port {}\n",
                inst.staff_port, inst.port
            ))
            .collect::<String>(),
    )
}

/// The balancer's whole answer when no instance is up: the API's own error body.
fn unavailable_answer() -> String {
    use reset_flow::wire::ErrorBody;
    use reset_flow::ErrorCode;
    let body =
        serde_json::to_string(&ErrorBody::new(ErrorCode::ServiceUnavailable)).expect("error body");
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
         Cache-Control: no-store\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

impl Cluster {
    /// `n` instances of the server binary `bin` on `db_url` (PostgreSQL) behind HAProxy, with
    /// `env` (`RESET_*` variables) over the shared config. Instances start one after the other
    /// (each migrates and seeds the demo customers); returns once the balancer has every one.
    pub async fn start(bin: &Path, db_url: &str, n: usize, env: &[(&str, &str)]) -> Cluster {
        let dir = std::env::temp_dir().join(format!(
            "reset-cluster-{}",
            hex::encode(reset_bank::rng::random_bytes(&reset_bank::rng::os_rng(), 6))
        ));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        config_file(&dir);
        let instances = (0..n)
            .map(|i| Instance {
                child: None,
                port: free_port(),
                staff_port: free_port(),
                admin_port: free_port(),
                log: dir.join(format!("instance-{i}.log")),
            })
            .collect::<Vec<_>>();
        let (customer, staff) = (free_port(), free_port());
        let cfg = dir.join("haproxy.cfg");
        let unavailable = dir.join("503.http");
        std::fs::write(&unavailable, unavailable_answer()).expect("503.http");
        std::fs::write(
            &cfg,
            balancer_config(customer, staff, &instances, &unavailable),
        )
        .expect("haproxy.cfg");
        let balancer_log = std::fs::File::create(dir.join("haproxy.log")).expect("haproxy log");
        let balancer = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&cfg)
            .stdout(balancer_log.try_clone().expect("log"))
            .stderr(balancer_log)
            .spawn()
            .expect("start haproxy (scripts/setup.sh installs it)");
        let base = format!("http://127.0.0.1:{customer}");
        let staff_base = format!("http://127.0.0.1:{staff}");
        let view = TestServer::view(db_url, &base, &staff_base).await;
        let mut cluster = Cluster {
            base,
            staff_base,
            view,
            instances,
            balancer,
            dir,
            bin: bin.to_owned(),
            db_url: db_url.to_owned(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        for i in 0..n {
            cluster.restart(i).await;
        }
        cluster.wait_balanced().await;
        cluster
    }

    /// Starts instance `i` (again) on its ports and waits until it is ready.
    pub async fn restart(&mut self, i: usize) {
        let inst = &self.instances[i];
        assert!(inst.child.is_none(), "instance {i} is running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&inst.log)
            .expect("instance log");
        let child = Command::new(&self.bin)
            .arg("--config")
            .arg(self.dir.join("reset.toml"))
            .args(["--database-url", &self.db_url])
            .args(["serve", "--dev", "--dev-anywhere"])
            .args(["--listen", &format!("127.0.0.1:{}", inst.port)])
            .args(["--staff-listen", &format!("127.0.0.1:{}", inst.staff_port)])
            .args(["--admin-listen", &format!("127.0.0.1:{}", inst.admin_port)])
            .env("RESET_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn reset-server");
        self.instances[i].child = Some(child);
        let base = self.instance_base(i);
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = client.get(format!("{base}/readyz")).send().await;
            if ready.is_ok_and(|r| r.status() == 200) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "instance {i} did not become ready:\n{}",
                self.log(i)
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// SIGKILL to instance `i`: no shutdown, no cleanup, as a machine that loses power.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.instances[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Instance `i`'s own customer listener, past the balancer.
    pub fn instance_base(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.instances[i].port)
    }

    /// Instance `i`'s own staff listener, past the balancer.
    pub fn instance_staff_base(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.instances[i].staff_port)
    }

    /// Instance `i`'s operators' listener (`/metrics`).
    pub fn admin_base(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.instances[i].admin_port)
    }

    /// What instance `i` logged (JSON lines).
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(&self.instances[i].log).unwrap_or_default()
    }

    /// A client whose connections come from loopback address `127.0.0.{n}`: a customer at an
    /// address of its own, as the balancer sees it.
    pub fn client_from(n: u8) -> reqwest::Client {
        reqwest::Client::builder()
            .local_address(IpAddr::from([127, 0, 0, n]))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// Waits until the balancer sends requests to every running instance, on the customers'
    /// frontend and on the staff's (each backend runs its own health checks).
    pub async fn wait_balanced(&self) {
        let running = self.instances.iter().filter(|i| i.child.is_some()).count();
        let client = reqwest::Client::new();
        for url in [
            format!("{}/readyz", self.base),
            format!("{}/staff/login", self.staff_base),
        ] {
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut seen = std::collections::BTreeSet::new();
            while seen.len() < running {
                assert!(
                    Instant::now() < deadline,
                    "the balancer did not reach every instance at {url}: {seen:?}\n{}",
                    std::fs::read_to_string(self.dir.join("haproxy.log")).unwrap_or_default()
                );
                if let Ok(r) = client.get(&url).send().await {
                    if let Some(name) = r.headers().get("x-instance").and_then(|v| v.to_str().ok())
                    {
                        seen.insert(name.to_owned());
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.instances.len() {
            self.kill(i);
        }
        let _ = self.balancer.kill();
        let _ = self.balancer.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
