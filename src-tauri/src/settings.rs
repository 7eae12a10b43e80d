//! How the app was started: `--api-url` for a real server (`RESET_API_URL` too in a tester's
//! build; a customer's build never takes its server from the environment), `--kiosk` /
//! `RESET_KIOSK=1` for a branch kiosk, `--camera` / `RESET_CAMERA` for where frames come from
//! (`camera[:N]`; `webview`, the phones' way, where the screen opens the camera; or
//! `scenes:FOLDER` / `dir:FOLDER` of pictures for testers), `--models` / `RESET_MODEL_DIR` for
//! the models when not the bundled ones. `RESET_WEBVIEW_MOCK_CAMERA=1` gives `webview` WebKit's
//! generated camera, for machines without one (the end-to-end tests).

use std::path::{Path, PathBuf};
use std::time::Duration;

use reset_capture::SourceSetting;

use reset_app_core::models::is_asset_path;
use reset_app_core::view::FrameEncoding;
use reset_app_core::Settings;

/// The folder of the OCR models inside a packaged app's resources (tauri.bundle.conf.json).
pub const BUNDLED_MODELS: &str = "models";

/// Where a phone keeps the open flow's id (in the app's data folder).
pub const RESUME_FILE: &str = "open-flow";

/// The shortest idle time a kiosk takes.
const KIOSK_IDLE_MIN_S: u64 = 5;

/// Kiosk default: a customer who walks away loses the flow after this long.
const KIOSK_IDLE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppOptions {
    pub api_url: Option<String>,
    pub kiosk: bool,
    pub idle_timeout_s: Option<u64>,
    pub camera: Option<String>,
    pub models: Option<String>,
    pub mock_camera: bool,
    /// `RESET_WEBVIEW_FRAMES`: `base64` or `raw`, how the screen sends camera frames, for
    /// testers trying Android's way on desktop; otherwise the platform's own.
    pub webview_frames: Option<String>,
}

impl AppOptions {
    pub fn from_env_and_args(args: impl Iterator<Item = String>) -> AppOptions {
        // A customer's build is told its server when built: another process's environment
        // must not be able to point it elsewhere.
        let env_api_url = cfg!(feature = "embedded-server")
            .then(|| std::env::var("RESET_API_URL").ok())
            .flatten()
            .filter(|s| !s.is_empty());
        let mut o = AppOptions {
            api_url: env_api_url,
            kiosk: std::env::var("RESET_KIOSK").is_ok_and(|v| v == "1"),
            idle_timeout_s: std::env::var("RESET_KIOSK_IDLE_S")
                .ok()
                .and_then(|v| v.parse().ok()),
            camera: std::env::var("RESET_CAMERA").ok().filter(|s| !s.is_empty()),
            models: std::env::var(reset_ocr::MODEL_DIR_ENV)
                .ok()
                .filter(|s| !s.is_empty()),
            mock_camera: std::env::var("RESET_WEBVIEW_MOCK_CAMERA").is_ok_and(|v| v == "1"),
            webview_frames: std::env::var("RESET_WEBVIEW_FRAMES").ok(),
        };
        let mut args = args.peekable();
        while let Some(a) = args.next() {
            match a.as_str() {
                "--api-url" => o.api_url = args.next(),
                "--kiosk" => o.kiosk = true,
                "--camera" => o.camera = args.next(),
                "--models" => o.models = args.next(),
                _ => {
                    if let Some(url) = a.strip_prefix("--api-url=") {
                        o.api_url = Some(url.to_owned());
                    }
                    if let Some(camera) = a.strip_prefix("--camera=") {
                        o.camera = Some(camera.to_owned());
                    }
                    if let Some(models) = a.strip_prefix("--models=") {
                        o.models = Some(models.to_owned());
                    }
                }
            }
        }
        o
    }

    /// What must hold before the app starts: a kiosk names the bank's server, on the command
    /// line or in its build (the tester's embedded server and its SMS inbox show every code).
    pub fn preflight(&self) -> Result<(), &'static str> {
        let built_in = option_env!("RESET_DEFAULT_API_URL").is_some_and(|u| !u.is_empty())
            && !cfg!(feature = "embedded-server");
        if self.kiosk && self.api_url.is_none() && !built_in {
            return Err(KIOSK_NEEDS_SERVER);
        }
        Ok(())
    }

    /// A kiosk's idle time: `RESET_KIOSK_IDLE_S`, at least 5 s (a customer must be able to
    /// read the screen), else 2 minutes.
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.kiosk.then(|| {
            self.idle_timeout_s
                .map(|s| Duration::from_secs(s.max(KIOSK_IDLE_MIN_S)))
                .unwrap_or(KIOSK_IDLE)
        })
    }

    /// The OCR models' folder: the one named (`--models`, `RESET_MODEL_DIR`), else the models
    /// bundled in the app's `resources` (a packaged app), else `None` for the OCR crate's
    /// default, the fetch script's cache folder (a tester's build). An Android package's
    /// resources are its assets (`asset://localhost/`), which `std::fs` cannot look into: they
    /// are taken as they are, and a package without the models says so at the first scan.
    pub fn model_dir(&self, resources: Option<&Path>) -> Option<PathBuf> {
        if let Some(dir) = &self.models {
            return Some(PathBuf::from(dir));
        }
        let bundled = resources?.join(BUNDLED_MODELS);
        (is_asset_path(&bundled) || bundled.join(reset_ocr::models::DET_FILE).is_file())
            .then_some(bundled)
    }

    /// The core's settings; `embedded_url` is the app's own server when no server was named,
    /// `model_dir` where the OCR models are ([`AppOptions::model_dir`]).
    pub fn settings(
        &self,
        data_dir: &Path,
        embedded_url: Option<&str>,
        model_dir: Option<PathBuf>,
    ) -> Result<Settings, String> {
        let api_url = match (&self.api_url, embedded_url) {
            (Some(url), _) => checked_server_url(url)?,
            (None, Some(url)) => url.to_owned(),
            (None, None) if self.kiosk => return Err(KIOSK_NEEDS_SERVER.into()),
            // A build that names no server: the app starts and says so (Screen::NoServer).
            (None, None) => String::new(),
        };
        let camera = match &self.camera {
            Some(s) => Some(SourceSetting::parse(s).map_err(|e| format!("--camera: {e}"))?),
            // On phones the camera belongs to the webview: the screen opens it.
            None if cfg!(mobile) => Some(SourceSetting::Webview),
            // A kiosk or tester build with a camera uses the first one it finds.
            None if cfg!(feature = "camera") => Some(SourceSetting::Camera(0)),
            None => None,
        };
        Ok(Settings {
            api_url,
            dev_inbox: self.api_url.is_none() && embedded_url.is_some(),
            kiosk: self.kiosk,
            // A kiosk resumes nobody: after a crash or a power cut the next person finds a
            // clean start, not the last customer's reset.
            resume_file: (!self.kiosk).then(|| data_dir.join(RESUME_FILE)),
            camera,
            model_dir,
            request_timeout: None,
            webview_frames: match self.webview_frames.as_deref() {
                None => FrameEncoding::default(),
                Some(s) => FrameEncoding::parse(s)
                    .ok_or_else(|| format!("RESET_WEBVIEW_FRAMES: {s:?} is not raw or base64"))?,
            },
        })
    }
}

/// Why a kiosk without a named server does not start.
pub const KIOSK_NEEDS_SERVER: &str =
    "a kiosk talks to the bank's server: pass --api-url (the tester's embedded server and its SMS inbox are refused in kiosk mode)";

/// A server address the app may talk to: `https`, or plain `http` only to this machine (a
/// tester's own server). Anything else would send codes and passwords readable on the way.
pub fn checked_server_url(url: &str) -> Result<String, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("server address {url:?}: {e}"))?;
    let host = parsed.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" if !host.is_empty() => Ok(url.trim_end_matches('/').to_owned()),
        "http" if loopback => Ok(url.trim_end_matches('/').to_owned()),
        _ => Err(format!(
            "server address {url:?}: only https, or http to this machine (127.0.0.1, localhost)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_servers() {
        for ok in [
            "https://reset.bank.example",
            "https://10.1.2.3:8443/",
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert!(checked_server_url(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://reset.bank.example",
            "http://10.1.2.3:8080",
            "http://127.0.0.1.evil.example",
            "ftp://127.0.0.1",
            "https://",
            "reset.bank.example",
            "",
        ] {
            assert!(checked_server_url(refused).is_err(), "{refused}");
        }
        let o = AppOptions {
            api_url: Some("http://bank:1".into()),
            ..AppOptions::default()
        };
        assert!(o.settings(Path::new("/tmp"), None, None).is_err());
    }

    #[test]
    fn a_kiosk_needs_a_named_server_and_keeps_no_resume_file() {
        let kiosk = AppOptions {
            kiosk: true,
            ..AppOptions::default()
        };
        assert_eq!(kiosk.preflight(), Err(KIOSK_NEEDS_SERVER));
        assert!(kiosk.settings(Path::new("/tmp"), None, None).is_err());
        let phone = AppOptions {
            kiosk: false,
            ..kiosk.clone()
        };
        assert_eq!(
            phone.preflight(),
            Ok(()),
            "a tester's build runs its own server"
        );
        // A customer's build that names no server starts, to say so; it shows no SMS inbox.
        let s = phone.settings(Path::new("/tmp"), None, None).unwrap();
        assert_eq!((s.api_url.as_str(), s.dev_inbox), ("", false));
        let s = phone
            .settings(Path::new("/tmp"), Some("http://127.0.0.1:7"), None)
            .unwrap();
        assert_eq!(
            (s.api_url.as_str(), s.dev_inbox),
            ("http://127.0.0.1:7", true)
        );
        let named = AppOptions {
            api_url: Some("https://reset.bank.example".into()),
            ..kiosk
        };
        assert_eq!(named.preflight(), Ok(()));
        let s = named.settings(Path::new("/tmp"), None, None).unwrap();
        assert!(s.kiosk && !s.dev_inbox);
        assert_eq!(s.resume_file, None, "a kiosk resumes nobody");
        let phone = AppOptions {
            kiosk: false,
            ..named
        };
        let s = phone.settings(Path::new("/tmp"), None, None).unwrap();
        assert_eq!(s.resume_file, Some(Path::new("/tmp").join(RESUME_FILE)));
    }

    #[test]
    fn args_override_defaults() {
        let o = AppOptions::from_env_and_args(
            ["--api-url", "http://bank:1", "--kiosk"]
                .map(String::from)
                .into_iter(),
        );
        assert_eq!(o.api_url.as_deref(), Some("http://bank:1"));
        assert!(o.kiosk);
        assert_eq!(o.idle_timeout(), Some(KIOSK_IDLE));
        let o = AppOptions {
            idle_timeout_s: Some(0),
            ..o
        };
        assert_eq!(
            o.idle_timeout(),
            Some(Duration::from_secs(KIOSK_IDLE_MIN_S))
        );
        let o =
            AppOptions::from_env_and_args(["--api-url=http://x:2"].map(String::from).into_iter());
        assert_eq!(o.api_url.as_deref(), Some("http://x:2"));
        assert_eq!(o.idle_timeout(), None);
    }

    #[test]
    fn named_models_come_first_then_the_bundled_ones_then_the_default() {
        let resources = std::env::temp_dir().join(format!("reset-res-{}", std::process::id()));
        let bundled = resources.join(BUNDLED_MODELS);
        let none = AppOptions::default();
        // Resources without the models (a tester's build): the OCR crate's default.
        assert_eq!(none.model_dir(Some(&resources)), None);
        std::fs::create_dir_all(&bundled).unwrap();
        std::fs::write(bundled.join(reset_ocr::models::DET_FILE), b"model").unwrap();
        assert_eq!(none.model_dir(Some(&resources)), Some(bundled.clone()));
        assert_eq!(none.model_dir(None), None);
        // An Android package's resources: its assets, which only the platform can look into.
        assert_eq!(
            none.model_dir(Some(Path::new("asset://localhost/"))),
            Some(PathBuf::from("asset://localhost/models"))
        );
        let named = AppOptions::from_env_and_args(
            ["--models", "/opt/models"].map(String::from).into_iter(),
        );
        assert_eq!(
            named.model_dir(Some(&resources)),
            Some(PathBuf::from("/opt/models"))
        );
        std::fs::remove_dir_all(&resources).unwrap();
    }
}
