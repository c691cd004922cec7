//! The console in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `scripts/install-browser`) driven over
//! WebDriver. A coordinator signs in, sees the dashboard and its chart, opens a
//! pairing, and then a phone's sync shows up on the dashboard without a reload.
//! Screenshots land in `target/console-screenshots/` for people to look at.
//!
//! Whether it can run is decided when it is built (see `build.rs`): without the
//! browser it is reported as ignored, with the reason, except when `CI=true`,
//! where it runs and fails.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alongside_tests::phones::Phone;
use alongside_tests::{Backend, PASSWORD, spawn_app};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use sync_core::SessionKind;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The longest any one step may take before the test fails.
const STEP: Duration = Duration::from_secs(30);

/// The chromedriver process, stopped when the test ends however it ends.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Fails the test when the browser is missing: it is only built to run when the
/// browser was there at build time, or in CI, where it must be.
fn assert_browser_installed() {
    let missing: Vec<&str> = [CHROMEDRIVER, CHROMIUM].into_iter().filter(|p| !Path::new(p).exists()).collect();
    assert!(
        missing.is_empty(),
        "the console browser test needs {}: run scripts/install-browser",
        missing.join(" and ")
    );
}

async fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver { child, url: format!("http://127.0.0.1:{port}"), _profile: tempfile::tempdir().unwrap() };
    let status = format!("{}/status", driver.url);
    let deadline = Instant::now() + STEP;
    let http = reqwest::Client::new();
    loop {
        if let Ok(response) = http.get(&status).send().await
            && response.status() == 200
        {
            break;
        }
        assert!(Instant::now() < deadline, "chromedriver did not start within {STEP:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    driver
}

async fn open_browser(driver: &Driver) -> Client {
    let profile = driver._profile.path().display().to_string();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", format!("--user-data-dir={profile}"), "--window-size=1280,1600",
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("open a browser session")
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn save_screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("a screenshot");
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

async fn script(browser: &Client, source: &str) -> Value {
    browser.execute(source, Vec::new()).await.expect("the script runs")
}

/// Polls `source` (a script returning a value) until `done` accepts it.
async fn wait_until(browser: &Client, what: &str, source: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + STEP;
    loop {
        let value = script(browser, source).await;
        if done(&value) {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: still {value} after {STEP:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(browser_tests), ignore = "browser: no /usr/bin/chromium and chromedriver; run scripts/install-browser")]
async fn a_coordinator_sees_a_phones_sync_on_the_dashboard_without_reloading() {
    assert_browser_installed();
    let app = spawn_app(Backend::Sqlite).await;
    let org = app.seed_org("maple").await;
    let m = org.mentorship_id.clone();
    let today_date = alongside_server::db::today();
    let yesterday = alongside_server::db::date_text(today_date.previous_day().unwrap_or(today_date));
    let today = alongside_server::db::date_text(today_date);
    let (address, mentor_email) = (app.address.clone(), org.mentor.email.clone());
    let (m2, day) = (m.clone(), yesterday.clone());
    let mentor = tokio::task::spawn_blocking(move || {
        let mentor = Phone::login_at(&address, &mentor_email);
        mentor.client.create_session(&m2, SessionKind::Shadowing, &day).unwrap();
        mentor.client.sync().unwrap();
        mentor
    })
    .await
    .unwrap();

    let driver = start_driver().await;
    let browser = open_browser(&driver).await;

    browser.goto(&app.url("/console")).await.unwrap();
    let email = browser.wait().at_most(STEP).for_element(Locator::Css("#email")).await.unwrap();
    email.send_keys(&org.coordinator.email).await.unwrap();
    browser.find(Locator::Css("#password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    browser.find(Locator::Css("form.stack button[type=submit]")).await.unwrap().click().await.unwrap();

    let row = format!("tr[data-pairing=\"{m}\"]");
    browser.wait().at_most(STEP).for_element(Locator::Css(&row)).await.expect("the dashboard lists the pairing");
    let heading = browser.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(heading, "Programme");
    let bars = script(&browser, "return document.querySelectorAll('.chart-svg svg rect').length").await;
    assert!(bars.as_u64().unwrap_or(0) > 2, "the weekly chart is drawn: {bars}");
    let labels = script(&browser, "return document.querySelectorAll('.chart-svg svg text').length").await;
    assert!(labels.as_u64().unwrap_or(0) > 5, "the chart has text labels: {labels}");
    save_screenshot(&browser, "dashboard.png").await;

    browser.find(Locator::Css(&format!("a[href=\"/console/pairings/{m}\"]"))).await.unwrap().click().await.unwrap();
    browser.wait().at_most(STEP).for_element(Locator::Css("#timeline-heading")).await.expect("the pairing page");
    let timeline = script(&browser, "return document.querySelectorAll('.chart-svg svg circle').length").await;
    assert!(timeline.as_u64().unwrap_or(0) >= 1, "the session is on the timeline: {timeline}");
    save_screenshot(&browser, "pairing.png").await;

    browser.goto(&app.url("/console")).await.unwrap();
    browser.wait().at_most(STEP).for_element(Locator::Css("#live[data-live-connected=\"true\"]")).await.unwrap();
    script(&browser, "window.alongsideMarker = 'same page'; return true").await;
    let logged =
        format!("return document.querySelector('{}').getAttribute('data-sessions-logged')", row.replace('\'', "\\'"));
    assert_eq!(script(&browser, &logged).await, json!("1"));

    let m3 = m.clone();
    tokio::task::spawn_blocking(move || {
        mentor.client.create_session(&m3, SessionKind::CheckIn, &today).unwrap();
        mentor.client.sync().unwrap();
    })
    .await
    .unwrap();

    wait_until(&browser, "the new session appears", &logged, |v| v == &json!("2")).await;
    assert_eq!(
        script(&browser, "return window.alongsideMarker || null").await,
        json!("same page"),
        "the dashboard updated in place, without a reload"
    );
    let status = browser.find(Locator::Css("#live-status")).await.unwrap().text().await.unwrap();
    assert!(status.starts_with("Updated at"), "{status}");
    save_screenshot(&browser, "dashboard-live.png").await;

    browser.set_window_size(390, 1400).await.unwrap();
    save_screenshot(&browser, "dashboard-phone.png").await;
    let overflow = script(&browser, "return document.documentElement.scrollWidth <= window.innerWidth + 1").await;
    assert_eq!(overflow, json!(true), "no sideways scrolling at phone width");

    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(browser_tests), ignore = "browser: no /usr/bin/chromium and chromedriver; run scripts/install-browser")]
async fn a_coordinator_who_forgot_their_password_sets_one_with_a_reset_code() {
    assert_browser_installed();
    let app = spawn_app(Backend::Sqlite).await;
    let org = app.seed_org("rowan").await;
    let path = format!("/v1/people/{}/password-reset", org.coordinator.id);
    let issued = alongside_tests::json_body(app.post(&path, Some(org.admin.token()), &json!({})).await).await;
    let code = issued["code"].as_str().unwrap().to_owned();
    let new = "kettle lantern orchard drizzle";

    let driver = start_driver().await;
    let browser = open_browser(&driver).await;
    browser.goto(&app.url("/console/sign-in")).await.unwrap();
    let link = browser.wait().at_most(STEP).for_element(Locator::Css("a[href=\"/console/reset-password\"]")).await;
    link.expect("the sign-in page links to the reset form").click().await.unwrap();
    browser.wait().at_most(STEP).for_element(Locator::Css("#code")).await.expect("the reset form");
    browser.find(Locator::Css("#email")).await.unwrap().send_keys(&org.coordinator.email).await.unwrap();
    browser.find(Locator::Css("#code")).await.unwrap().send_keys(&code.to_lowercase()).await.unwrap();
    browser.find(Locator::Css("#new_password")).await.unwrap().send_keys(new).await.unwrap();
    save_screenshot(&browser, "reset-password.png").await;
    browser.find(Locator::Css("form.stack button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_until(&browser, "the password is set", "return document.querySelector('h1').textContent", |v| {
        v == &json!("Your new password is set")
    })
    .await;

    browser.find(Locator::Css("a[href=\"/console/sign-in\"]")).await.unwrap().click().await.unwrap();
    let email = browser.wait().at_most(STEP).for_element(Locator::Css("#email")).await.unwrap();
    email.send_keys(&org.coordinator.email).await.unwrap();
    browser.find(Locator::Css("#password")).await.unwrap().send_keys(new).await.unwrap();
    browser.find(Locator::Css("form.stack button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_until(&browser, "signed in with the new password", "return document.querySelector('h1').textContent", |v| {
        v == &json!("Programme")
    })
    .await;
    browser.close().await.unwrap();
}
