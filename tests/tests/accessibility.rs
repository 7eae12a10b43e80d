//! Accessibility in the real window (WCAG 2.2 AA): axe-core run inside the app on every screen,
//! sheet and dialog of both paths, in Chinese and in English, with no violation of impact
//! serious or critical; every target at least 44 × 44 px; what was typed kept across a language
//! switch; and each screen at 200 % text without sideways scrolling. The results are written to
//! docs/accessibility.md.

use std::fmt::Write;

use reset_tests::window::AppWindow;
use reset_tests::{repo_root, Server, TempDir};
use serde_json::Value;

/// Axe's rules for WCAG 2.0, 2.1 and 2.2 at levels A and AA, and its best practices.
const RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
  resultTypes: ['violations'],
}).then((r) => done(r.violations.map((v) => ({
  id: v.id, impact: v.impact, nodes: v.nodes.length,
  target: v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '),
})))).catch((e) => done([{ id: 'axe-error', impact: 'critical', nodes: 0, target: String(e) }]));
"#;

/// Visible controls smaller than 44 × 44 px (WCAG 2.5.5's size, stricter than 2.2's 24 px).
const SMALL_TARGETS: &str = r#"
return [...document.querySelectorAll('button, a[href], input, select, [role="button"]')]
  .filter((el) => el.offsetParent !== null || getComputedStyle(el).position === 'fixed')
  .map((el) => [el, el.getBoundingClientRect()])
  .filter(([, r]) => r.width > 0 && (r.width < 43.5 || r.height < 43.5))
  .map(([el, r]) => `${el.id || el.className || el.tagName} ${Math.round(r.width)}x${Math.round(r.height)}`);
"#;

/// At 200 % text: what is wider than the window (it would need sideways scrolling).
const OVERFLOW_AT_200: &str = r#"
document.documentElement.style.fontSize = '200%';
const wide = [...document.querySelectorAll('#app *, #sheet *, #dialog *')]
  .filter((el) => el.offsetParent !== null)
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
  .map((el) => el.id || el.className || el.tagName);
const scroll = document.documentElement.scrollWidth > window.innerWidth + 1;
document.documentElement.style.fontSize = '';
return scroll ? wide.slice(0, 5) : [];
"#;

struct Audit {
    app: AppWindow,
    rows: Vec<String>,
    failures: Vec<String>,
}

impl Audit {
    async fn new(app: AppWindow) -> Audit {
        let axe =
            std::fs::read_to_string(repo_root().join("tests/axe/node_modules/axe-core/axe.min.js"))
                .expect("axe-core (scripts/test installs it into tests/axe)");
        app.session
            .execute(&format!("{axe}\n;window.axe = axe; return true;"))
            .await
            .expect("axe-core loads in the window");
        Audit {
            app,
            rows: Vec::new(),
            failures: Vec::new(),
        }
    }

    async fn lang(&self) -> String {
        self.app
            .session
            .execute("return document.documentElement.lang")
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    async fn axe_here(&mut self, what: &str) {
        let lang = self.lang().await;
        let found = self.app.session.execute_async(RUN).await.expect("axe ran");
        let violations = found.as_array().cloned().unwrap_or_default();
        let serious: Vec<&Value> = violations
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        let small = self.app.strings(SMALL_TARGETS).await;
        let wide = self.app.strings(OVERFLOW_AT_200).await;
        let minor: Vec<String> = violations
            .iter()
            .filter(|v| !matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                format!(
                    "{} ({})",
                    v["id"].as_str().unwrap_or("?"),
                    v["impact"].as_str().unwrap_or("?")
                )
            })
            .collect();
        self.rows.push(format!(
            "| {what} | {lang} | {} | {} | {} | {} |",
            serious.len(),
            if minor.is_empty() {
                "none".to_owned()
            } else {
                minor.join(", ")
            },
            if small.is_empty() {
                "all ≥ 44 px".to_owned()
            } else {
                small.join(", ")
            },
            if wide.is_empty() {
                "fits".to_owned()
            } else {
                format!("too wide: {}", wide.join(", "))
            },
        ));
        for v in serious {
            self.failures.push(format!("{what} [{lang}]: {v}"));
        }
        if !small.is_empty() {
            self.failures
                .push(format!("{what} [{lang}]: small targets {small:?}"));
        }
        if !wide.is_empty() {
            self.failures
                .push(format!("{what} [{lang}]: sideways at 200 %: {wide:?}"));
        }
    }

    /// 大字 on, through the header's switch.
    async fn larger_text(&self) {
        self.app.click("large-text").await;
        self.app
            .wait_until(
                "larger text",
                "document.documentElement.classList.contains('large-text')",
            )
            .await;
    }

    /// The other language, through the header's switch.
    async fn toggle_lang(&self) {
        let was = self.lang().await;
        self.app.click("lang").await;
        self.app
            .wait_until(
                "the other language",
                &format!("document.documentElement.lang !== '{was}'"),
            )
            .await;
    }

    /// Axe in Chinese, then in English, then back: each screen in both languages, and what was
    /// typed survives the switch.
    async fn check(&mut self, what: &str) {
        self.axe_here(what).await;
        let typed = self.app.typed().await;
        self.toggle_lang().await;
        self.axe_here(what).await;
        let after = self.app.typed().await;
        if after != typed {
            self.failures.push(format!(
                "{what}: the language switch lost what was typed: {typed:?} → {after:?}"
            ));
        }
        self.toggle_lang().await;
    }

    /// A sheet or dialog in both languages: opened by clicking `open`, checked, closed by
    /// clicking `close`; then the same in the other language.
    async fn check_overlay(&mut self, what: &str, open: &str, shown: &str, close: &str) {
        for _ in 0..2 {
            self.app.click(open).await;
            self.app.element(shown).await;
            self.axe_here(what).await;
            self.app.click(close).await;
            self.app
                .wait_until(
                    "the overlay closed",
                    "document.getElementById('sheet').hidden && document.getElementById('dialog').hidden",
                )
                .await;
            self.toggle_lang().await;
        }
    }

    fn finish(self) {
        self.finish_into("docs/accessibility.md");
    }

    fn finish_into(self, file: &str) {
        let mut page = String::from(
            "# Accessibility check\n\nWritten by `tests/tests/accessibility.rs`: axe-core \
             (WCAG 2.0/2.1/2.2 A and AA rules and best practices) inside the real app window, on \
             every screen, sheet and dialog of both paths, in Chinese and English; targets \
             measured against 44 × 44 px; each screen at 200 % text checked for sideways \
             scrolling.\n\n| screen | language | serious or critical | other findings | targets | 200 % text |\n|---|---|---|---|---|---|\n",
        );
        for row in &self.rows {
            let _ = writeln!(page, "{row}");
        }
        std::fs::write(repo_root().join(file), page).expect("written");
        assert!(self.failures.is_empty(), "{}", self.failures.join("\n"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_of_both_paths_passes_axe_in_both_languages() {
    let server = Server::start_dev();
    let scenes = TempDir::new("a11y-scenes");
    reset_testkit::scenes::write_generated_scenes(&scenes.path)
        .expect("scenes written")
        .expect("rustface's test picture is in its package");
    let camera = format!("scenes:{}", scenes.path.display());
    let app = AppWindow::launch(&["--api-url", &server.url, "--camera", &camera]).await;
    let mut a = Audit::new(app).await;

    // Path A.
    a.check("login").await;
    a.check_overlay(
        "login · 切换登录方式 sheet",
        "switch-method",
        "#sheet:not([hidden]) .sheet-panel",
        "sheet-close",
    )
    .await;
    a.app.click("forgot").await;
    a.app.wait_screen("identity").await;
    a.check("identity").await;
    a.check_overlay(
        "identity · ID type sheet",
        "id-type",
        "#sheet:not([hidden]) .sheet-option",
        "sheet-close",
    )
    .await;
    a.app.fill("id-number", "110105194912310021").await;
    a.app.click("next").await;
    a.app.wait_text("#id-number-error", "校验位").await;
    a.check("identity with an error").await;
    // The same screen in English with larger text, to look at.
    a.toggle_lang().await;
    a.larger_text().await;
    a.app.screenshot("17-identity-en-large-text").await;
    a.app.click("large-text").await;
    a.toggle_lang().await;
    a.app.fill("id-number", "44030419900307123X").await;
    a.app.fill("name", "李四").await;
    a.app.click("next").await;
    a.app.wait_screen("reserved_phone").await;
    a.app.fill("phone", "13800000002").await;
    a.app.click("get-code").await;
    a.app.wait_text("#code-sent", "138****0002").await;
    a.check("reserved phone, code sent").await;
    a.check_overlay(
        "放弃本次密码重置 dialog",
        "back",
        "#dialog [data-dialog='leave']",
        "leave-no",
    )
    .await;
    let code = server.latest_code("13800000002").await;
    a.app.fill("code", &code).await;
    a.app.click("next").await;
    a.app.wait_screen("new_password").await;
    a.app.fill("password", "abc").await;
    a.app.wait_text("#rules", "至少8位").await;
    a.check("new password, rules").await;
    a.app.fill("password", "Spring#2026").await;
    a.app.fill("confirm", "Spring#2026").await;
    a.app.click("ok").await;
    a.app.wait_text("#result-title", "成功").await;
    a.check("result: done").await;
    a.app.click("back-to-login").await;
    a.app.wait_screen("login").await;
    a.app.fill("password", "Spring#2026").await;
    a.app.click("login").await;
    a.app.wait_screen("signed_in").await;
    a.check("signed in").await;
    a.larger_text().await;
    a.check("signed in, larger text").await;
    a.app.click("large-text").await;
    a.app.click("log-out").await;

    // Path B.
    a.app.to_reserved_phone("650102198511204562", "王五").await;
    a.app.click("phone-unavailable").await;
    a.app.wait_screen("face").await;
    a.check("face check, before").await;
    a.app.click("start-face").await;
    a.app
        .element("#camera:not([hidden]) #camera-preview:not([hidden])")
        .await;
    a.axe_here("face check, camera running").await;
    a.app.wait_screen("documents").await;
    a.app
        .wait_until(
            "the camera closed",
            "document.getElementById('camera').hidden",
        )
        .await;
    a.check("documents").await;
    for kind in ["id_front", "id_back", "handheld"] {
        a.app.click(&format!("tile-{kind}")).await;
        a.app
            .wait_until(
                "the picture taken",
                &format!("document.getElementById('tile-{kind}').classList.contains('taken')"),
            )
            .await;
    }
    a.check("documents, taken").await;
    a.app.click("next").await;
    a.app.wait_screen("contact_phone").await;
    a.check("contact phone").await;
    a.app.fill("phone", "13912345678").await;
    a.app.click("get-code").await;
    let code = server.latest_code("13912345678").await;
    a.app.fill("code", &code).await;
    a.app.click("next").await;
    a.app.wait_screen("new_password").await;
    a.app.fill("password", "Autumn#2026").await;
    a.app.fill("confirm", "Autumn#2026").await;
    a.app.click("ok").await;
    a.app.wait_text("#result-title", "审核").await;
    a.check("result: under review").await;
    a.finish();
}

/// The kiosk's larger screens and its idle warning, and a phone started offline with a reset
/// open (the 网络连接不可用 screen with 重试).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_and_the_offline_screen_pass_axe_in_both_languages() {
    let server = Server::start_dev();
    let kiosk = AppWindow::launch_env(
        &["--kiosk", "--api-url", &server.url],
        &[("RESET_KIOSK_IDLE_S", "20")],
    )
    .await;
    let mut a = Audit::new(kiosk).await;
    a.check("kiosk: login").await;
    a.app.screenshot("kiosk-00-start").await;
    a.app.fill("password", "x").await;
    a.app.element("#dialog [data-dialog='idle']").await;
    a.axe_here("kiosk: 即将返回首页 dialog").await;
    let rows = std::mem::take(&mut a.rows);
    let failures = std::mem::take(&mut a.failures);

    // A phone whose last run left a reset open, started without a network.
    let data = TempDir::new("offline-data");
    let app_dir = data.path.join("cn.bank.mobile.reset");
    std::fs::create_dir_all(&app_dir).unwrap();
    std::fs::write(
        app_dir.join("open-flow"),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .unwrap();
    let dead = format!("http://127.0.0.1:{}", reset_tests::free_port());
    let phone = AppWindow::launch_in(&["--api-url", &dead], &[], &data.path).await;
    phone.wait_screen("offline").await;
    phone.screenshot("16-offline-resume").await;
    let mut b = Audit::new(phone).await;
    b.rows = rows;
    b.failures = failures;
    b.check("offline, a reset open").await;
    b.app.click("retry").await;
    b.app.wait_screen("offline").await;
    assert!(
        app_dir.join("open-flow").is_file(),
        "an offline start keeps the reset"
    );
    b.finish_into("docs/accessibility-kiosk.md");
}
