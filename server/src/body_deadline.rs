//! A deadline on reading request bodies.
//!
//! actix-web times out a slow request head, but not a slow body: a body trickled
//! a byte at a time (an unauthenticated login included) would hold its
//! connection and a worker's attention indefinitely. Every request body must
//! therefore arrive at an average of at least [`BodyDeadline::min_rate`] bytes a
//! second after a grace period; otherwise reading it fails, the request is
//! answered 408 `request_timeout` and the connection is closed. A rate rather
//! than a fixed deadline, so that a phone uploading weeks of notes over a poor
//! signal is not cut off while a trickle is. WebSocket upgrades are left alone:
//! their "body" is the live connection.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, ResponseError};
use futures_core::Stream;
use tokio::time::{Instant, Sleep};

use crate::error::ApiError;

/// How fast a request body must arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline {
    /// Time allowed before the rate counts (connection set-up, a first chunk).
    pub grace: Duration,
    /// The slowest average rate accepted after that, in bytes a second.
    pub min_rate: u64,
}

impl Default for BodyDeadline {
    /// Ten seconds of grace, then 1 KiB/s on average: a 32 MiB sync body may
    /// take nine hours at that rate, while a trickled byte a second fails at once.
    fn default() -> Self {
        Self { grace: Duration::from_secs(10), min_rate: 1024 }
    }
}

impl BodyDeadline {
    /// When a body of which `received` bytes have arrived becomes too slow.
    fn deadline(&self, started: Instant, received: u64) -> Instant {
        let allowed = Duration::from_secs_f64(received as f64 / self.min_rate.max(1) as f64);
        started + self.grace + allowed
    }
}

/// The middleware (for `middleware::from_fn`): wraps the request's payload in a
/// deadlined stream and turns a body that came too slowly into a 408 with
/// the connection closed.
pub async fn enforce(
    limits: BodyDeadline,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.headers().contains_key(header::UPGRADE) {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let expired = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let inner = req.take_payload();
    let stream = Deadlined {
        inner,
        limits,
        started,
        received: 0,
        timer: Box::pin(tokio::time::sleep_until(limits.deadline(started, 0))),
        expired: expired.clone(),
        finished: false,
    };
    req.set_payload(Payload::from(Box::pin(stream) as Pin<Box<dyn Stream<Item = _>>>));
    let response = next.call(req).await?.map_into_boxed_body();
    if !expired.load(Ordering::Acquire) {
        return Ok(response);
    }
    let error =
        ApiError::RequestTimeout { message: "the request body arrived too slowly; the connection is closed".into() };
    let mut answer = error.error_response();
    answer.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
    Ok(response.into_response(answer))
}

/// A request payload that fails once it falls behind its [`BodyDeadline`].
struct Deadlined {
    inner: Payload,
    limits: BodyDeadline,
    started: Instant,
    received: u64,
    timer: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
    finished: bool,
}

impl Stream for Deadlined {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received = this.received.saturating_add(chunk.len() as u64);
                let deadline = this.limits.deadline(this.started, this.received);
                this.timer.as_mut().reset(deadline);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(None) => {
                this.finished = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error))),
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.finished = true;
                    this.expired.store(true, Ordering::Release);
                    let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body too slow");
                    Poll::Ready(Some(Err(PayloadError::Io(timed_out))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}
