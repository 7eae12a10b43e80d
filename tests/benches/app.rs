//! The customer app's numbers, on a release build under Xvfb:
//! the binary's size, a cold start to the painted login screen, and one intent to the next view
//! over IPC with no server involved.
//!
//! cargo build --profile app -p reset-app --no-default-features   (the customer's build)
//! cargo build --release -p reset-app                             (the tester's, embedded server)
//! cargo bench -p reset-tests --bench app [-- --starts N]
//!
//! The customer's binary is the one the size goal is about; its cold start is measured too,
//! named a server that is not there (it paints the login screen without asking one).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reset_tests::window::AppWindow;
use reset_tests::{workspace_bin, Display, Process, TempDir};

fn main() {
    let starts: usize = std::env::args()
        .skip_while(|a| a != "--starts")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let tester = workspace_bin("reset-app");
    // <target>/release/reset-app → <target>/app/reset-app, the `app` profile's build.
    let customer = tester
        .parent()
        .and_then(|release| release.parent())
        .map(|target| target.join("app").join("reset-app"))
        .filter(|p| p.is_file());
    if let Some(customer) = &customer {
        print_size("customer binary", customer, ", goal <= 15 MB");
    } else {
        println!("customer binary not built (cargo build --profile app -p reset-app --no-default-features)");
    }
    print_size("tester binary  ", &tester, " (no goal: testers only)");

    let display = Display::start();
    if let Some(customer) = &customer {
        let mut times = Vec::new();
        for _ in 0..starts {
            times.push(cold_start(
                &display.name,
                customer,
                &["--api-url", "http://127.0.0.1:9"],
            ));
        }
        report("cold start, customer", &mut times, "goal <= 1000 ms");
    }
    let mut times = Vec::new();
    for _ in 0..starts {
        times.push(cold_start(&display.name, &tester, &[]));
    }
    report(
        "cold start, tester (embedded server)",
        &mut times,
        "goal <= 1000 ms",
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(intents());
}

fn print_size(label: &str, binary: &Path, goal: &str) {
    let size = std::fs::metadata(binary).expect("the app binary").len();
    println!("{label} {:.2} MB ({size} bytes){goal}", size as f64 / 1e6);
}

/// From spawning the app (fresh data folder; with no server named the embedded server starts
/// too) to the UI saying its first screen is painted.
fn cold_start(display: &str, binary: &Path, args: &[&str]) -> f64 {
    let data = TempDir::new("app-start");
    let started = Instant::now();
    let mut process = Process::spawn(
        "reset-app",
        Command::new(binary)
            .args(args)
            .env("DISPLAY", display)
            .env("XDG_DATA_HOME", &data.path)
            .env("RESET_STARTUP_TRACE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let stderr = process.take_stderr().expect("the app's stderr");
    let mut lines = BufReader::new(stderr).lines();
    let painted = loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("reset-app: painted") => break started.elapsed(),
            Some(_) => continue,
            None => panic!("the app ended before painting"),
        }
    };
    drop(process);
    painted.as_secs_f64() * 1e3
}

/// Intents that need no server, timed in the page around `invoke`: what a tap costs from the
/// UI to the core and back with the next view.
async fn intents() {
    let app = AppWindow::launch(&["--api-url", "http://127.0.0.1:9"]).await;
    let script = r#"
        const done = arguments[0];
        const invoke = window.__TAURI__.core.invoke;
        (async () => {
            const out = { choose: [], type: [] };
            const kinds = ['passport', 'id_card'];
            for (let i = 0; i < 40; i++) await invoke('choose_id_type', { idType: kinds[i % 2] });
            for (let i = 0; i < 2000; i++) {
                let t = performance.now();
                await invoke('choose_id_type', { idType: kinds[i % 2] });
                out.choose.push(performance.now() - t);
                t = performance.now();
                await invoke('password_input', { password: 'Spring#20' + (i % 90 + 10), confirm: '' });
                out.type.push(performance.now() - t);
            }
            done(out);
        })();
    "#;
    app.click("forgot").await;
    app.wait_screen("identity").await;
    let out = app
        .session
        .execute_async(script)
        .await
        .expect("the timing script");
    for (name, key) in [
        ("intent choose_id_type", "choose"),
        ("intent password_input", "type"),
    ] {
        let mut v: Vec<f64> = out[key]
            .as_array()
            .expect("timings")
            .iter()
            .filter_map(|x| x.as_f64())
            .collect();
        report(name, &mut v, "goal <= 5 ms");
    }
    app.close().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// WebKit rounds `performance.now()` to whole milliseconds, so for the intents the mean over
/// many calls is the number to read; the quantiles only bound it.
fn report(what: &str, v: &mut [f64], goal: &str) {
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "{what:<22} mean {mean:.2} ms  median {:.2} ms  p90 {:.2} ms  max {:.2} ms  (n = {}), {goal}",
        q(0.5),
        q(0.9),
        q(1.0),
        v.len()
    );
}
