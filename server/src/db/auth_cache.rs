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
//!
//! A sync, the one request every phone makes all day, checks its entry against
//! the database instead, on either backend: [`changed`] also adds one to
//! `sync_epoch.auth_generation` in the changing transaction, an entry is
//! tagged with the number this process last saw there when its read began
//! (`DB_GENERATION`), and the sync reads the number in the snapshot it reads
//! everything else in ([`matches_database`]). Equal, nothing the check decides
//! changed since the entry was read, wherever the change was made, and the
//! entry is used up to [`TRUSTED_TTL`] (the backstop for a change made behind
//! the code's back, by hand in SQL); different, the whole cache is emptied and
//! the sync starts again with the rows read afresh (`routes::sync`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DbConnection;
use super::devices::Device;
use super::people::Person;
use crate::model::{DeviceId, Timestamp};
use crate::schema::sync_epoch;

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
/// The database's `sync_epoch.auth_generation` as a sync's snapshot last read
/// it here ([`UNKNOWN`] until the first).
static DB_GENERATION: AtomicI64 = AtomicI64::new(UNKNOWN);
/// No generation read yet: matches nothing the database holds.
const UNKNOWN: i64 = i64::MIN;
static ENTRIES: LazyLock<Mutex<HashMap<DeviceId, Entry>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

#[derive(Debug, Clone)]
struct Entry {
    device: Device,
    person: Option<Person>,
    read_at: Instant,
    generation: u64,
    /// The listener's connection when the read began (0: none).
    connection: u64,
    /// [`DB_GENERATION`] when the read began.
    db_generation: i64,
}

/// Where a read for the cache began: pass it to [`put`].
#[derive(Debug, Clone, Copy)]
pub struct ReadStart {
    generation: u64,
    connection: u64,
    at: Instant,
    db_generation: i64,
}

impl ReadStart {
    /// What a sync compares with the database's number ([`matches_database`]).
    pub fn db_generation(&self) -> i64 {
        self.db_generation
    }
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
        db_generation: DB_GENERATION.load(Ordering::SeqCst),
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

/// For a sync, which checks the entry against the database's number in its
/// snapshot ([`matches_database`]): the entry up to [`TRUSTED_TTL`] old, with
/// the number it is tagged with.
pub fn get_for_sync(id: DeviceId) -> Option<(Device, Option<Person>, i64)> {
    let entries = entries();
    let entry = entries.get(&id)?;
    let usable = entry.generation == GENERATION.load(Ordering::SeqCst) && entry.read_at.elapsed() < TRUSTED_TTL;
    usable.then(|| (entry.device.clone(), entry.person.clone(), entry.db_generation))
}

/// A sync read the database's number `current` in its snapshot: whether
/// what its token check used (tagged `tag`) was read with nothing changed
/// since. When the number moved on, everything cached is forgotten, and
/// entries read from now on are tagged with it.
pub fn matches_database(tag: i64, current: i64) -> bool {
    // A read that began before the swap is tagged with the old number and
    // cannot match; one that began between the swap and the emptying is
    // refused by `put` (the emptying moves `GENERATION` on).
    if DB_GENERATION.swap(current, Ordering::SeqCst) != current {
        invalidate();
    }
    tag == current
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
            db_generation: start.db_generation,
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
/// transaction, which the callers in `db` open if there is none: the change
/// and the bumped generation commit together): forget everything here, add
/// one to `sync_epoch.auth_generation` and, on PostgreSQL, tell the other
/// processes when the transaction commits. (A failed notification fails the
/// change: a revocation must not be silently local.)
pub fn changed(conn: &mut DbConnection) -> QueryResult<()> {
    invalidate();
    let bump = diesel::update(sync_epoch::table).set(sync_epoch::auth_generation.eq(sync_epoch::auth_generation + 1));
    match conn {
        DbConnection::Sqlite(sqlite) => {
            bump.execute(sqlite)?;
        }
        DbConnection::Pg(pg) => {
            bump.execute(pg)?;
            diesel::sql_query("SELECT pg_notify($1, '')").bind::<Text, _>(CHANNEL).execute(pg)?;
        }
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
