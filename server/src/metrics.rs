//! Process-local counters rendered in the Prometheus text format at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests are counted per (method, route pattern, status). Route patterns
/// (`/v1/mentorships/{id}/pause`), not raw paths, keep the label set bounded;
/// unmatched paths share one label.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    login_failures: AtomicU64,
    logins_throttled: AtomicU64,
    logins: AtomicU64,
}

impl Metrics {
    pub fn record_request(&self, method: &str, route: Option<&str>, status: u16) {
        let key = (method.to_owned(), route.unwrap_or("unmatched").to_owned(), status);
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *requests.entry(key).or_default() += 1;
    }

    pub fn record_login(&self) {
        self.logins.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_login_failure(&self) {
        self.login_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_login_throttled(&self) {
        self.logins_throttled.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP alongside_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE alongside_http_requests_total counter\n");
        {
            let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
            for ((method, route, status), count) in requests.iter() {
                let _ = writeln!(
                    out,
                    "alongside_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {count}",
                    escape(method),
                    escape(route)
                );
            }
        }
        for (name, help, counter) in [
            ("alongside_logins_total", "Successful logins.", &self.logins),
            ("alongside_login_failures_total", "Failed logins (wrong email or password).", &self.login_failures),
            ("alongside_logins_throttled_total", "Login attempts refused by the rate limiter.", &self.logins_throttled),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
