//! Live updates: which documents changed, pushed to connected devices and consoles.
//!
//! Within one process a broadcast channel carries events. With several server
//! processes on one PostgreSQL database, each process also sends every event with
//! `pg_notify` and keeps one connection that has run `LISTEN`: PostgreSQL pushes
//! the other processes' notifications down it as they happen (tokio-postgres
//! hands them over as `AsyncMessage::Notification`), and they are re-broadcast
//! locally, so a device connected to any process hears of a change made through
//! any other at once. When that connection drops, the listener reconnects with
//! backoff; events sent meanwhile are missed, which costs a device only the
//! promptness of its next sync (live events are hints, syncs are the truth).
//!
//! The listening connection is plain TCP (tokio-postgres' `NoTls`): the URL's
//! `sslmode` may be `disable` or `prefer`; a database reachable only over TLS
//! gets no cross-process live events, and the listener logs why.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};
use tokio_postgres::AsyncMessage;

use crate::db::{DbConnection, auth_cache};

const CHANNEL: &str = "alongside_documents";

/// The first wait before reconnecting; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How often the listening connection is checked, so a connection that died
/// silently (no FIN, e.g. a network partition) is noticed and replaced. Often,
/// because an answered ping also tells the token cache (`db::auth_cache`) that
/// no revocation was missed up to then; an empty query costs next to nothing.
const PING_EVERY: Duration = Duration::from_millis(250);
const PING_TIMEOUT: Duration = Duration::from_secs(10);
/// What the listening connection calls itself in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "alongside-listen";

/// A document changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveEvent {
    pub org_id: String,
    pub document_id: String,
    pub mentorship_id: Option<String>,
    pub owner_id: Option<String>,
    /// The group of a group document (absent in events of older processes).
    #[serde(default)]
    pub group_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Notification {
    origin: String,
    event: LiveEvent,
}

/// Publishes and distributes live events. Cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    sender: broadcast::Sender<LiveEvent>,
    /// This process, so it ignores its own PostgreSQL notifications.
    origin: String,
    /// Dropped with the last clone of this notifier, which stops the listener.
    alive: std::sync::Arc<watch::Sender<()>>,
}

impl Default for Notifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Notifier {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        let (alive, _) = watch::channel(());
        Self { sender, origin: uuid::Uuid::new_v4().to_string(), alive: std::sync::Arc::new(alive) }
    }

    /// Receive every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    /// Tell local listeners and, on PostgreSQL, the other server processes.
    pub fn publish(&self, conn: &mut DbConnection, events: &[LiveEvent]) {
        for event in events {
            // No subscriber is fine: nobody is listening right now.
            let _ = self.sender.send(event.clone());
            if let DbConnection::Pg(pg) = conn {
                let payload =
                    serde_json::to_string(&Notification { origin: self.origin.clone(), event: event.clone() });
                let sent = payload.map_err(|e| e.to_string()).and_then(|payload| {
                    diesel::sql_query("SELECT pg_notify($1, $2)")
                        .bind::<Text, _>(CHANNEL)
                        .bind::<Text, _>(payload)
                        .execute(pg)
                        .map_err(|e| e.to_string())
                });
                if let Err(error) = sent {
                    tracing::warn!(%error, "could not notify other server processes");
                }
            }
        }
    }

    /// Listen for other processes' events on PostgreSQL, on a thread of its own
    /// (with its own small runtime, so it does not depend on the caller's). The
    /// thread ends when every clone of this notifier is gone.
    pub fn listen_to_postgres(&self, url: String) {
        let listener = Listener { weak: self.sender.downgrade(), origin: self.origin.clone() };
        let stopped = self.alive.subscribe();
        let spawned = std::thread::Builder::new().name(APPLICATION_NAME.into()).spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match runtime {
                Ok(runtime) => runtime.block_on(listener.run(&url, stopped)),
                Err(error) => tracing::error!(%error, "could not start the PostgreSQL listener's runtime"),
            }
        });
        if let Err(error) = spawned {
            tracing::error!(%error, "could not start the PostgreSQL listener");
        }
    }
}

/// Why one listening connection ended.
#[derive(Debug, thiserror::Error)]
enum ListenError {
    #[error("the database URL cannot be used for listening")]
    Config(#[source] tokio_postgres::Error),
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    #[error("the listening connection was closed")]
    Closed,
    #[error("the listening connection stopped answering")]
    Unresponsive,
}

struct Listener {
    weak: broadcast::WeakSender<LiveEvent>,
    origin: String,
}

impl Listener {
    /// Listen, reconnecting with backoff, until the notifier is gone.
    async fn run(self, url: &str, mut stopped: watch::Receiver<()>) {
        let mut config: tokio_postgres::Config = match url.parse() {
            Ok(config) => config,
            Err(error) => {
                // Retrying cannot fix the URL.
                let error = ListenError::Config(error);
                tracing::error!(error = %crate::error::cause_chain(&error), "no live events from other server processes");
                return;
            }
        };
        config.application_name(APPLICATION_NAME);
        let mut backoff = FIRST_BACKOFF;
        loop {
            let ended = tokio::select! {
                // Only ever an error: nothing is sent, the sender is dropped.
                _ = stopped.changed() => return,
                ended = self.listen_once(&config, &mut backoff) => ended,
            };
            match ended {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(error = %crate::error::cause_chain(&error), ?backoff, "PostgreSQL listener stopped; reconnecting");
                }
            }
            tokio::select! {
                _ = stopped.changed() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One connection: `Ok` when the notifier is gone, `Err` when the connection
    /// failed. Resets `backoff` once listening.
    async fn listen_once(&self, config: &tokio_postgres::Config, backoff: &mut Duration) -> Result<(), ListenError> {
        let (client, mut connection) = config.connect(tokio_postgres::NoTls).await?;
        // The connection does the socket I/O: it must be polled for the LISTEN
        // below to complete, and it yields the notifications.
        let (payloads, mut received) = mpsc::unbounded_channel();
        let driver = tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(notification)))
                        if notification.channel() == auth_cache::CHANNEL =>
                    {
                        // Here, in the order PostgreSQL sent it: before the
                        // answer to any later ping is seen.
                        auth_cache::changed_elsewhere();
                    }
                    Some(Ok(AsyncMessage::Notification(notification))) => {
                        if payloads.send(notification.payload().to_owned()).is_err() {
                            return Ok(());
                        }
                    }
                    Some(Ok(_notice)) => {}
                    Some(Err(error)) => return Err(ListenError::Postgres(error)),
                    None => return Err(ListenError::Closed),
                }
            }
        });
        client.batch_execute(&format!("LISTEN {CHANNEL}; LISTEN {}", auth_cache::CHANNEL)).await?;
        auth_cache::listener_connected();
        auth_cache::listener_heard();
        *backoff = FIRST_BACKOFF;
        tracing::debug!("listening for other server processes' live events");
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.tick().await;
        let ended = loop {
            tokio::select! {
                payload = received.recv() => {
                    let Some(payload) = payload else { break Err(ListenError::Closed) };
                    let Some(sender) = self.weak.upgrade() else { break Ok(()) };
                    self.rebroadcast(&sender, &payload);
                }
                _ = ping.tick() => {
                    match tokio::time::timeout(PING_TIMEOUT, client.simple_query("")).await {
                        Ok(Ok(_)) => auth_cache::listener_heard(),
                        Ok(Err(error)) => break Err(error.into()),
                        Err(_) => break Err(ListenError::Unresponsive),
                    }
                }
            }
        };
        auth_cache::listener_lost();
        drop(client);
        driver.abort();
        // The driver's own error says more than "closed".
        match (ended, driver.await) {
            (Err(ListenError::Closed), Ok(Err(error))) => Err(error),
            (ended, _) => ended,
        }
    }

    fn rebroadcast(&self, sender: &broadcast::Sender<LiveEvent>, payload: &str) {
        match serde_json::from_str::<Notification>(payload) {
            Ok(n) if n.origin != self.origin => {
                // No subscriber is fine: nobody is listening right now.
                let _ = sender.send(n.event);
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "ignoring a malformed notification"),
        }
    }
}
