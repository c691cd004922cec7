//! `GET /console/events`: server-sent events that tell an open console page a
//! phone's sync changed a pairing of its organisation, so the page re-fetches its
//! fragment. Authenticated by the console cookie like any page.
//!
//! An event carries only the pairing's id (`{"mentorship_id": "..."}`, or `{}`
//! when this stream fell behind and the page should refresh everything); what
//! changed is read through the fragment, from projections. Journal changes are
//! never announced, not even their timing. The stream re-checks its login
//! every [`KEEP_ALIVE`] and ends once the login is signed out or expires.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::login::{self, ConsoleUser};
use crate::state::AppState;

/// A comment this often keeps proxies from closing an idle stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(20);

/// The response body: whatever the forwarding task sends, until it stops or
/// the client goes away (dropping the body, which ends the task).
struct EventBody(mpsc::Receiver<Bytes>);

impl MessageBody for EventBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(Ok))
    }
}

fn changed(mentorship_id: Option<&str>) -> Bytes {
    let data = match mentorship_id {
        Some(id) => serde_json::json!({ "mentorship_id": id }),
        None => serde_json::json!({}),
    };
    Bytes::from(format!("event: changed\ndata: {data}\n\n"))
}

pub async fn stream(state: web::Data<AppState>, user: ConsoleUser) -> HttpResponse {
    let mut events = state.sync.notifier.subscribe();
    let (sender, receiver) = mpsc::channel::<Bytes>(16);
    let db = state.db.clone();
    // Live events carry ids as text (they also cross processes through pg_notify).
    let org = user.org_id.to_string();
    actix_web::rt::spawn(async move {
        // Browsers reconnect after `retry` milliseconds if the stream drops.
        if sender.send(Bytes::from_static(b"retry: 3000\n: connected\n\n")).await.is_err() {
            return;
        }
        let mut keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
        loop {
            let chunk = tokio::select! {
                event = events.recv() => match event {
                    Ok(event) if event.org_id == org => match event.mentorship_id {
                        Some(id) => changed(Some(&id)),
                        None => continue,
                    },
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => changed(None),
                    Err(RecvError::Closed) => break,
                },
                _ = keep_alive.tick() => {
                    let login_id = user.login_id.clone();
                    match db.run(move |conn| login::is_live(conn, &login_id)).await {
                        Ok(true) => Bytes::from_static(b": keep-alive\n\n"),
                        Ok(false) => break,
                        // A database hiccup is not a reason to drop the page's stream.
                        Err(_) => Bytes::from_static(b": keep-alive\n\n"),
                    }
                },
                () = sender.closed() => break,
            };
            if sender.send(chunk).await.is_err() {
                break;
            }
        }
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // Tell buffering proxies (nginx) to pass events through at once.
        .insert_header(("X-Accel-Buffering", "no"))
        .body(EventBody(receiver))
}
