//! The real app window driven over WebDriver: tauri-driver starts the app binary under its own
//! Xvfb display, and the tests click and type as a customer would.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::webdriver::Session;
use crate::{free_port, repo_root, wait_for, workspace_bin, Display, Process, TempDir};

const WAIT: Duration = Duration::from_secs(20);

pub struct AppWindow {
    pub session: Session,
    _driver: Process,
    _display: Display,
    /// The app's data folder (`XDG_DATA_HOME`), where a phone keeps its open flow's id.
    pub data_dir: PathBuf,
    _data: Option<TempDir>,
}

fn tauri_driver() -> PathBuf {
    let on_path = Command::new("tauri-driver")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if on_path {
        return PathBuf::from("tauri-driver");
    }
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo")
        });
    home.join("bin/tauri-driver")
}

impl AppWindow {
    /// Start the app with `args`, in a display and data folder of its own.
    pub async fn launch(args: &[&str]) -> AppWindow {
        AppWindow::launch_env(args, &[]).await
    }

    /// [`launch`](Self::launch) with extra environment variables for the app.
    pub async fn launch_env(args: &[&str], env: &[(&str, &str)]) -> AppWindow {
        let data = TempDir::new("app-data");
        let mut window = AppWindow::launch_in(args, env, &data.path).await;
        window._data = Some(data);
        window
    }

    /// [`launch_env`](Self::launch_env) with the data folder `data_dir`, which outlives the
    /// window: the same app started again finds what the last run left there.
    pub async fn launch_in(args: &[&str], env: &[(&str, &str)], data_dir: &Path) -> AppWindow {
        let display = Display::start();
        let port = free_port();
        let native = free_port();
        let driver = Process::spawn(
            "tauri-driver",
            Command::new(tauri_driver())
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native.to_string(),
                ])
                .env("DISPLAY", &display.name)
                .env("XDG_DATA_HOME", data_dir)
                // tauri-driver and WebKitWebDriver pass their environment on to the app.
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_for("tauri-driver", WAIT, || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        let app = workspace_bin("reset-app");
        let caps =
            json!({ "browserName": "wry", "tauri:options": { "application": app, "args": args } });
        // tauri-driver listens before WebKitWebDriver behind it is ready; on a busy machine the
        // first request can fail, so ask again a few times.
        let mut tries = 0;
        let session = loop {
            match Session::new(&format!("http://127.0.0.1:{port}"), caps.clone()).await {
                Ok(s) => break s,
                Err(e) if tries < 4 => {
                    tries += 1;
                    eprintln!("WebDriver session, try {tries}: {e}");
                    tokio::time::sleep(Duration::from_millis(500 * tries)).await;
                }
                Err(e) => panic!("a WebDriver session with the app: {e}"),
            }
        };
        let window = AppWindow {
            session,
            _driver: driver,
            _display: display,
            data_dir: data_dir.to_owned(),
            _data: None,
        };
        // The first screen drawn (the login screen, or where a resumed reset is).
        window.element("#screen[data-screen]").await;
        window
    }

    /// Wait for an element, polling: the view arrives asynchronously over IPC.
    pub async fn element(&self, css: &str) -> String {
        let start = std::time::Instant::now();
        loop {
            match self.session.find(css).await {
                Ok(el) => return el,
                Err(e) => assert!(start.elapsed() < WAIT, "{css} never appeared: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Wait until the core's view shows `screen`.
    pub async fn wait_screen(&self, screen: &str) {
        self.element(&format!("#screen[data-screen='{screen}']"))
            .await;
    }

    pub async fn click(&self, id: &str) {
        let el = self.element(&format!("#{id}")).await;
        self.session
            .click(&el)
            .await
            .unwrap_or_else(|e| panic!("cannot click #{id}: {e}"));
    }

    pub async fn fill(&self, id: &str, text: &str) {
        let el = self.element(&format!("#{id}")).await;
        self.session
            .clear(&el)
            .await
            .unwrap_or_else(|e| panic!("cannot clear #{id}: {e}"));
        self.session
            .send_keys(&el, text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into #{id}: {e}"));
    }

    pub async fn text(&self, css: &str) -> String {
        match self.session.find(css).await {
            Ok(el) => self.session.text(&el).await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Wait until the element's text contains `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let start = std::time::Instant::now();
        loop {
            let t = self.text(css).await;
            if t.contains(needle) {
                return t;
            }
            assert!(
                start.elapsed() < WAIT,
                "{css} never said {needle:?}; it says {t:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Wait until `script` (a JavaScript expression) is true in the page.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let start = std::time::Instant::now();
        loop {
            if self.session.execute(&format!("return !!({script})")).await
                == Ok(serde_json::Value::Bool(true))
            {
                return;
            }
            assert!(start.elapsed() < WAIT, "{what} never happened");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// 忘记密码, then 个人信息 filled with `id_number` and `name` and sent: on 预留手机号.
    pub async fn to_reserved_phone(&self, id_number: &str, name: &str) {
        self.click("forgot").await;
        self.wait_screen("identity").await;
        self.fill("id-number", id_number).await;
        self.fill("name", name).await;
        self.click("next").await;
        self.wait_screen("reserved_phone").await;
    }

    /// The strings a script returns as a list (an empty one when it returns anything else).
    pub async fn strings(&self, script: &str) -> Vec<String> {
        self.session
            .execute(script)
            .await
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    }

    /// The value of the input `#id`, or `None` when there is no such input.
    pub async fn value(&self, id: &str) -> Option<String> {
        let v = self
            .session
            .execute(&format!(
                "const el = document.getElementById('{id}'); return el ? el.value : null;"
            ))
            .await
            .ok()?;
        v.as_str().map(str::to_owned)
    }

    /// Every input's value on the page (fields, the dialogs' and sheets' too), by id.
    pub async fn typed(&self) -> Vec<(String, String)> {
        let v = self
            .session
            .execute(
                "return [...document.querySelectorAll('input')].map((el) => [el.id, el.value]);",
            )
            .await
            .unwrap_or_default();
        serde_json::from_value(v).unwrap_or_default()
    }

    /// Type `text` into `#id` after what it holds, as a customer types.
    pub async fn type_more(&self, id: &str, text: &str) {
        let el = self.element(&format!("#{id}")).await;
        self.session
            .send_keys(&el, text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into #{id}: {e}"));
    }

    /// Save what the window shows as docs/screenshots/NAME.png.
    pub async fn screenshot(&self, name: &str) {
        // The DOM is ready before WebKit has painted it; give the compositor a moment.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let png = self.session.screenshot().await.expect("screenshot");
        let dir = repo_root().join("docs/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }

    pub async fn close(self) {
        self.session.close().await;
    }
}
