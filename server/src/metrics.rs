//! Prometheus metrics at `/metrics`, kept in a registry of this server's own.
//!
//! Every label takes a bounded set of values, so no request can grow the
//! exposition: the method is one of [`METHODS`] or `other`; the route is the
//! pattern that matched (`/v1/mentorships/{id}/pause`), never the raw path, or
//! `unmatched`; the status is the response's code (the server answers with a
//! fixed set) and, on the latency histogram, its class (`2xx`, ...).

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder};

/// Methods that get a label of their own; any other is `other`.
pub const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// The label of a request that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// Latency buckets in seconds: from a cached read to a large sync on a slow disk.
const LATENCY_BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Why the metrics could not be set up (a programming error: names clash or are malformed).
#[derive(Debug, thiserror::Error)]
#[error("metrics could not be registered")]
pub struct MetricsError(#[from] prometheus::Error);

/// The server's metrics. One per `Application`, so several servers in one
/// process (tests) count separately.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    logins: IntCounter,
    login_failures: IntCounter,
    logins_throttled: IntCounter,
}

impl Metrics {
    /// Registers every metric, at zero.
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("alongside_http_requests_total", "HTTP requests by method, route and status."),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "alongside_http_request_duration_seconds",
                "Time to answer HTTP requests (until the response starts), by method, route and status class.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["method", "route", "status_class"],
        )?;
        let logins = IntCounter::new("alongside_logins_total", "Successful logins.")?;
        let login_failures =
            IntCounter::new("alongside_login_failures_total", "Failed logins (wrong email or password).")?;
        let logins_throttled =
            IntCounter::new("alongside_logins_throttled_total", "Login attempts refused by the rate limiter.")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(logins.clone()))?;
        registry.register(Box::new(login_failures.clone()))?;
        registry.register(Box::new(logins_throttled.clone()))?;
        Ok(Self { registry, requests, latency, logins, login_failures, logins_throttled })
    }

    /// Count one answered request. `route` is the matched pattern, if any.
    pub fn record_request(&self, method: &Method, route: Option<&str>, status: StatusCode, elapsed: Duration) {
        let method = method_label(method);
        let route = route.unwrap_or(UNMATCHED);
        self.requests.with_label_values(&[method, route, status.as_str()]).inc();
        self.latency.with_label_values(&[method, route, status_class(status)]).observe(elapsed.as_secs_f64());
    }

    pub fn record_login(&self) {
        self.logins.inc();
    }

    pub fn record_login_failure(&self) {
        self.login_failures.inc();
    }

    pub fn record_login_throttled(&self) {
        self.logins_throttled.inc();
    }

    /// The Prometheus exposition text.
    pub fn render(&self) -> String {
        TextEncoder::new().encode_to_string(&self.registry.gather()).unwrap_or_else(|error| {
            // Only on a broken metric family, which registration rules out.
            tracing::error!(%error, "metrics could not be rendered");
            String::new()
        })
    }
}

/// The method as a label: one of [`METHODS`], or `other` (HTTP lets a client
/// invent any token as a method).
pub fn method_label(method: &Method) -> &'static str {
    METHODS.iter().find(|known| **known == method.as_str()).copied().unwrap_or("other")
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_and_paths_share_bounded_labels() {
        let metrics = Metrics::new().expect("metrics");
        for n in 0..3000 {
            let method = Method::from_bytes(format!("INVENTED{n}").as_bytes()).expect("a token");
            metrics.record_request(&method, None, StatusCode::NOT_FOUND, Duration::from_millis(1));
        }
        let text = metrics.render();
        assert!(text.contains(r#"alongside_http_requests_total{method="other",route="unmatched",status="404"} 3000"#));
        assert!(!text.contains("INVENTED"));
        assert!(text.len() < 8 * 1024, "{} bytes", text.len());
    }

    #[test]
    fn known_methods_keep_their_names_and_latency_is_per_route() {
        let metrics = Metrics::new().expect("metrics");
        metrics.record_request(&Method::GET, Some("/healthz"), StatusCode::OK, Duration::from_millis(3));
        let text = metrics.render();
        assert!(text.contains(r#"alongside_http_requests_total{method="GET",route="/healthz",status="200"} 1"#));
        assert!(text.contains(
            r#"alongside_http_request_duration_seconds_bucket{method="GET",route="/healthz",status_class="2xx",le="0.005"} 1"#
        ));
        assert!(text.contains("alongside_login_failures_total 0"));
    }
}
