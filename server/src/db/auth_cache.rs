//! What the access-token check reads (the device's row and its person's), kept
//! in memory so that a request does not cost a database round trip.
//!
//! Bounded ([`CAPACITY`] devices) and process-wide. Every query in `db` that
//! changes what the check decides (a device revoked, an epoch moved on by
//! sign-out, refresh reuse or a password change, an actor rotated, a person
//! deactivated, renamed or given other roles, an erasure) calls [`changed`],
//! which empties the cache at once in this process and, on PostgreSQL, sends a
//! notification on [`CHANNEL`] in the writer's transaction, so every process's
//! listener (`sync::live`) empties its cache when the change commits
//! ([`changed_elsewhere`]). Such changes are rare, so emptying everything is
//! cheaper than tracking what each entry depends on.
//!
//! A reader that started before a change must not put what it read back in:
//! entries carry the generation at which their read began and are refused when a
//! change came since. A change read by nobody yet but not committed (SQLite,
//! where no notification follows the commit, or a writer in another process
//! that is not a server, such as the CLI on SQLite) is bounded by the
//! time-to-live: an entry is used for at most [`TTL`] (1 s) after it was read,
//! so a revocation takes effect everywhere within a second whatever was missed.
//! On PostgreSQL, while the listener has heard from the database within the last
//! [`TTL`] on one unbroken connection (it pings every 250 ms, and PostgreSQL
//! delivers notifications before answering), notifications cannot have been
//! missed, and entries read since that connection began live up to
//! [`TRUSTED_TTL`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DbConnection;
use super::devices::Device;
use super::people::Person;
use crate::model::{DeviceId, Timestamp};

/// The PostgreSQL notification channel of these changes.
pub const CHANNEL: &str = "alongside_auth";
/// How long an entry is used when nothing says notifications are arriving.
pub const TTL: Duration = Duration::from_secs(1);
/// How long an entry is used while the listener is known to hear every change.
pub const TRUSTED_TTL: Duration = Duration::from_secs(30);
/// The most devices kept; past it, the cache starts again empty.
pub const CAPACITY: usize = 65_536;

/// Bumped by every change (here or, via the listener, elsewhere).
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// The listener's connection number (0: none yet; it moves on at every
/// connection and loss), and when it last heard from
/// the database (milliseconds since [`EPOCH`], 0: never).
static LISTENER_CONNECTION: AtomicU64 = AtomicU64::new(0);
static LISTENER_HEARD: AtomicU64 = AtomicU64::new(0);
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
static ENTRIES: LazyLock<Mutex<HashMap<DeviceId, Entry>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

#[derive(Debug, Clone)]
struct Entry {
    device: Device,
    person: Option<Person>,
    read_at: Instant,
    generation: u64,
    /// The listener's connection when the read began (0: none).
    connection: u64,
}

/// Where a read for the cache began: pass it to [`put`].
#[derive(Debug, Clone, Copy)]
pub struct ReadStart {
    generation: u64,
    connection: u64,
    at: Instant,
}

fn millis_since_epoch() -> u64 {
    u64::try_from(EPOCH.elapsed().as_millis()).unwrap_or(u64::MAX).max(1)
}

fn entries() -> std::sync::MutexGuard<'static, HashMap<DeviceId, Entry>> {
    // A panic while holding it leaves at worst a missing entry: use it anyway.
    ENTRIES.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether the listener heard from the database within [`TTL`] on connection `connection`.
fn listener_trusted(connection: u64) -> bool {
    let heard = LISTENER_HEARD.load(Ordering::SeqCst);
    connection != 0
        && LISTENER_CONNECTION.load(Ordering::SeqCst) == connection
        && heard != 0
        && millis_since_epoch().saturating_sub(heard) <= u64::try_from(TTL.as_millis()).unwrap_or(u64::MAX)
}

/// Call before reading the rows to cache.
pub fn begin_read() -> ReadStart {
    ReadStart {
        generation: GENERATION.load(Ordering::SeqCst),
        connection: LISTENER_CONNECTION.load(Ordering::SeqCst),
        at: Instant::now(),
    }
}

/// The device's row and its person's (`None` when the device has no person in
/// its organisation), if cached and still usable.
pub fn get(id: DeviceId) -> Option<(Device, Option<Person>)> {
    let entries = entries();
    let entry = entries.get(&id)?;
    let age = entry.read_at.elapsed();
    let usable = entry.generation == GENERATION.load(Ordering::SeqCst)
        && (age < TTL || (age < TRUSTED_TTL && listener_trusted(entry.connection)));
    usable.then(|| (entry.device.clone(), entry.person.clone()))
}

/// Keep what a read that began at `start` found, unless something changed since.
pub fn put(start: ReadStart, device: &Device, person: Option<&Person>) {
    let mut entries = entries();
    if GENERATION.load(Ordering::SeqCst) != start.generation {
        return;
    }
    if entries.len() >= CAPACITY && !entries.contains_key(&device.id) {
        entries.clear();
    }
    let person = person.map(|p| Person { password_hash: String::new(), ..p.clone() });
    entries.insert(
        device.id,
        Entry {
            device: device.clone(),
            person,
            read_at: start.at,
            generation: start.generation,
            connection: start.connection,
        },
    );
}

/// The device's activity was recorded: keep the cached row in step, so the
/// check does not write it again.
pub fn record_seen(id: DeviceId, at: Timestamp) {
    if let Some(entry) = entries().get_mut(&id) {
        entry.device.last_seen_at = Some(at);
    }
}

/// Empty the cache in this process.
fn invalidate() {
    let mut entries = entries();
    GENERATION.fetch_add(1, Ordering::SeqCst);
    entries.clear();
}

/// Something the token check reads is being changed (inside the writer's
/// transaction): forget everything here and, on PostgreSQL, tell the other
/// processes when the transaction commits. (A failed notification fails the
/// change: a revocation must not be silently local.)
pub fn changed(conn: &mut DbConnection) -> QueryResult<()> {
    invalidate();
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_notify($1, '')").bind::<Text, _>(CHANNEL).execute(pg)?;
    }
    Ok(())
}

/// A notification on [`CHANNEL`] arrived (any process's, this one's too: it
/// comes after the commit, so a read that raced the uncommitted change is dropped).
pub fn changed_elsewhere() {
    invalidate();
}

/// The listener opened a connection and listens on [`CHANNEL`]: what was read
/// before is used for [`TTL`] only.
pub fn listener_connected() {
    LISTENER_HEARD.store(0, Ordering::SeqCst);
    LISTENER_CONNECTION.fetch_add(1, Ordering::SeqCst);
    invalidate();
}

/// The listener heard from the database on its current connection (a ping
/// answered; the notifications sent before were handled before the answer).
pub fn listener_heard() {
    LISTENER_HEARD.store(millis_since_epoch(), Ordering::SeqCst);
}

/// The listener's connection ended: notifications may be missed from now on.
pub fn listener_lost() {
    LISTENER_HEARD.store(0, Ordering::SeqCst);
    LISTENER_CONNECTION.fetch_add(1, Ordering::SeqCst);
}
