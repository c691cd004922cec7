//! Live updates: which documents changed, pushed to connected devices and consoles.
//!
//! Within one process a broadcast channel carries events. With several server
//! processes on one PostgreSQL database, each process also sends every event with
//! `pg_notify` and runs a listener thread that re-broadcasts the other processes'
//! events locally, so a device connected to any process hears of a change made
//! through any other.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::db::DbConnection;

const CHANNEL: &str = "alongside_documents";

/// How often the listener thread asks PostgreSQL for notifications.
const LISTEN_POLL: Duration = Duration::from_millis(100);

/// A document changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveEvent {
    pub org_id: String,
    pub document_id: String,
    pub mentorship_id: Option<String>,
    pub owner_id: Option<String>,
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
}

impl Default for Notifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Notifier {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender, origin: uuid::Uuid::new_v4().to_string() }
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

    /// Listen for other processes' events on PostgreSQL, on a thread of its own.
    /// The thread ends when every clone of this notifier is gone.
    pub fn listen_to_postgres(&self, url: String) {
        let weak = self.sender.downgrade();
        let origin = self.origin.clone();
        let spawned = std::thread::Builder::new().name("alongside-listen".into()).spawn(move || {
            let mut backoff = Duration::from_millis(200);
            loop {
                if weak.upgrade().is_none() {
                    return;
                }
                match listen_once(&url, &origin, &weak) {
                    Ok(()) => return,
                    Err(error) => {
                        tracing::warn!(%error, "PostgreSQL listener failed; reconnecting");
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(Duration::from_secs(10));
                    }
                }
            }
        });
        if let Err(error) = spawned {
            tracing::error!(%error, "could not start the PostgreSQL listener");
        }
    }
}

/// Listen until the notifier is dropped (`Ok`) or the connection fails (`Err`).
fn listen_once(url: &str, origin: &str, weak: &broadcast::WeakSender<LiveEvent>) -> Result<(), String> {
    let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn).map_err(|e| e.to_string())?;
    loop {
        let Some(sender) = weak.upgrade() else { return Ok(()) };
        // A round trip makes libpq read pending notifications off the socket.
        diesel::sql_query("SELECT 1").execute(&mut conn).map_err(|e| e.to_string())?;
        for notification in conn.notifications_iter() {
            let notification = notification.map_err(|e| e.to_string())?;
            match serde_json::from_str::<Notification>(&notification.payload) {
                Ok(n) if n.origin != origin => {
                    let _ = sender.send(n.event);
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "ignoring a malformed notification"),
            }
        }
        drop(sender);
        std::thread::sleep(LISTEN_POLL);
    }
}
