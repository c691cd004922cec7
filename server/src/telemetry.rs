//! Logging setup and the span every request runs in.
//!
//! Quiet unless asked (`RUST_LOG`, or `TEST_LOG=1` in tests). Each request gets
//! a root span from `tracing-actix-web` carrying a fresh request id, which is
//! also sent back in the `x-request-id` header, so a report from a phone or a
//! proxy log can be matched with the server's lines. The span holds only the
//! method (bounded, as in the metrics), the matched route pattern and the
//! status: never the raw path or query (they can carry ids of people), headers
//! (tokens, cookies) or bodies.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;

/// The response header carrying the request id.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Installs a subscriber printing to stderr; `default_filter` applies when
/// `RUST_LOG` is not set. Safe to call more than once.
pub fn init(default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// The root span of a request, for `TracingLogger::<RequestSpan>`.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request.extensions().get::<RequestId>().copied();
        // The resource map matches the pattern before routing has run.
        let route = request.match_pattern();
        tracing::info_span!(
            "request",
            request_id = request_id.map(tracing::field::display),
            method = crate::metrics::method_label(request.method()),
            route = route.as_deref().unwrap_or(crate::metrics::UNMATCHED),
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("status", status.as_u16());
    }
}

/// Copy the request id `TracingLogger` gave this request into the response.
pub fn add_request_id_header<B>(response: &mut ServiceResponse<B>) {
    let id = response.request().extensions().get::<RequestId>().copied();
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
}
