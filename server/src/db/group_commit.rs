//! Group commit: concurrent sync requests share SQLite write transactions, and
//! so the fsync of each commit (`synchronous = FULL`).
//!
//! One dedicated connection per database writes for every request that goes
//! through [`Writer::write`]. A request locks it, opens the shared transaction
//! if none is open (`BEGIN IMMEDIATE`), runs its part inside a savepoint of its
//! own, and then either commits (when no other request is waiting to add its
//! part, or the batch is full) or leaves the transaction open for the next one
//! and waits until someone commits it. A part that fails is rolled back to its
//! savepoint, and the others' parts stay. (A part that panics fails its whole
//! batch, as it may have left nested transactions open; sync contains its
//! Automerge panics, so that is for bugs.) Nothing is returned as written
//! before the commit that holds it has succeeded; a failed commit fails every
//! part of its batch. Parts run on their requests' own threads, one at a time,
//! holding whatever those threads hold (document cache entries), so the
//! per-request logic stays a closure. A request's part may not wait for another
//! request in the same batch: cache entries are taken before the part begins,
//! and released only after its commit.
//!
//! On PostgreSQL (and for [`Writer::Direct`]) each part is its own transaction
//! on the caller's connection: concurrent writers already commit in parallel
//! there (see BENCHMARKS.md for the measurement).

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::DbConnection;

/// The most parts one transaction takes before it commits anyway.
pub const MAX_BATCH: usize = 64;

type Manager = <DbConnection as Connection>::TransactionManager;

/// Where a write goes.
pub enum Writer<'a> {
    /// Its own transaction on the caller's connection.
    Direct,
    /// The shared transactions of a [`GroupCommit`].
    Grouped(&'a GroupCommit),
}

impl Writer<'_> {
    /// Run `f` so that it is written when this returns `Ok`, or not at all.
    /// `conn` is the caller's own connection, used by [`Writer::Direct`].
    pub fn write<T, E, F>(&self, conn: &mut DbConnection, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<DieselError>,
    {
        match self {
            Writer::Direct => super::write_transaction(conn, f),
            Writer::Grouped(group) => group.write(f),
        }
    }
}

/// The shared writer of one SQLite database.
pub struct GroupCommit {
    shared: Mutex<Shared>,
    committed: Condvar,
    /// Requests waiting for the lock: while there are some, the transaction is
    /// left open for them.
    waiting: AtomicUsize,
    /// Transactions committed (or failed) so far.
    batches: AtomicU64,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

struct Shared {
    conn: DbConnection,
    /// The open batch and how many parts it holds.
    open: Option<(u64, usize)>,
    next_batch: u64,
    /// Outcomes of committed (or failed) batches that parts still wait for.
    outcomes: HashMap<u64, Outcome>,
}

#[derive(Clone)]
struct Outcome {
    error: Option<String>,
    /// Parts still to collect it.
    waiters: usize,
}

fn commit_error(message: String) -> DieselError {
    DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message))
}

impl GroupCommit {
    /// A group writer over `conn`, a connection of its own.
    pub fn new(conn: DbConnection) -> Self {
        Self {
            shared: Mutex::new(Shared { conn, open: None, next_batch: 1, outcomes: HashMap::new() }),
            committed: Condvar::new(),
            waiting: AtomicUsize::new(0),
            batches: AtomicU64::new(0),
        }
    }

    /// How many shared transactions have ended so far.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::SeqCst)
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        // A panicking part is caught below; a poisoned lock can only come from
        // a panic in this module's own bookkeeping, after which the state is
        // still consistent (the transaction is closed or a batch is open).
        let guard = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        guard
    }

    /// Run `f` as one part of a shared transaction; `Ok` once it is committed.
    pub fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<DieselError>,
    {
        let mut shared = self.lock();
        let batch = match shared.open {
            Some((batch, _)) => batch,
            None => {
                begin_immediate(&mut shared.conn)?;
                let batch = shared.next_batch;
                shared.next_batch += 1;
                shared.open = Some((batch, 0));
                batch
            }
        };
        if let Some((_, parts)) = shared.open.as_mut() {
            *parts += 1;
        }

        // This request's part, in a savepoint.
        let part = match Manager::begin_transaction(&mut shared.conn) {
            Ok(()) => {
                let ran = catch_unwind(AssertUnwindSafe(|| f(&mut shared.conn)));
                let kept = match &ran {
                    Ok(Ok(_)) => Manager::commit_transaction(&mut shared.conn),
                    _ => Manager::rollback_transaction(&mut shared.conn),
                };
                match kept {
                    Ok(()) => Ok(ran),
                    Err(error) => Err(error),
                }
            }
            Err(error) => Err(error),
        };
        let part = match part {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => {
                // It may have left nested transactions open: the batch is in
                // doubt, and fails as a whole (parts contain their own panics,
                // so this is for bugs, not for a device's input).
                self.finish(&mut shared, batch, Some("another part of the transaction panicked".into()));
                drop(shared);
                resume_unwind(panic)
            }
            Err(error) => {
                // The savepoint machinery failed: the whole batch is in doubt.
                self.finish(&mut shared, batch, Some(error.to_string()));
                return Err(error.into());
            }
        };

        let full = shared.open.is_some_and(|(_, parts)| parts >= MAX_BATCH);
        if full || self.waiting.load(Ordering::SeqCst) == 0 {
            let error = Manager::commit_transaction(&mut shared.conn).err().map(|e| e.to_string());
            if error.is_some() {
                // A failed COMMIT may leave the transaction open.
                let _ = Manager::rollback_transaction(&mut shared.conn);
            }
            self.finish(&mut shared, batch, error.clone());
            drop(shared);
            return match (part, error) {
                (Err(error), _) => Err(error),
                (Ok(_), Some(message)) => Err(commit_error(message).into()),
                (Ok(value), None) => Ok(value),
            };
        }
        // A failed part: nothing of it stays, so no need to wait for the others' commit.
        let value = part?;
        // Someone waiting commits it: wait for that.
        shared.outcomes.entry(batch).or_insert(Outcome { error: None, waiters: 0 }).waiters += 1;
        loop {
            if shared.open.is_none_or(|(open, _)| open != batch) {
                break;
            }
            shared = self.committed.wait(shared).unwrap_or_else(PoisonError::into_inner);
        }
        let outcome = shared.outcomes.get_mut(&batch).map(|o| {
            o.waiters -= 1;
            o.clone()
        });
        if outcome.as_ref().is_some_and(|o| o.waiters == 0) {
            shared.outcomes.remove(&batch);
        }
        drop(shared);
        match outcome.and_then(|o| o.error) {
            Some(message) => Err(commit_error(message).into()),
            None => Ok(value),
        }
    }

    /// The batch is over (committed, or failed with `error`): tell its waiters.
    fn finish(&self, shared: &mut Shared, batch: u64, error: Option<String>) {
        if error.is_some() {
            // Roll back whatever is left open, so the next batch starts clean.
            while Manager::transaction_manager_status_mut(&mut shared.conn).transaction_depth().ok().flatten().is_some()
            {
                if Manager::rollback_transaction(&mut shared.conn).is_err() {
                    break;
                }
            }
        }
        shared.open = None;
        self.batches.fetch_add(1, Ordering::SeqCst);
        if let Some(outcome) = shared.outcomes.get_mut(&batch) {
            outcome.error = error;
        }
        self.committed.notify_all();
    }
}

fn begin_immediate(conn: &mut DbConnection) -> Result<(), DieselError> {
    match conn {
        DbConnection::Sqlite(sqlite) => AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE"),
        other => Manager::begin_transaction(other),
    }
}

#[cfg(test)]
mod tests {
    //! Concurrent parts share transactions; a failing part takes nothing of the
    //! others with it; nothing returns before it is committed.

    use std::sync::{Arc, Barrier};
    use std::time::Duration;

    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Integer};

    use super::*;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn count(conn: &mut DbConnection, v: i32) -> i64 {
        diesel::sql_query("SELECT COUNT(*) AS n FROM t WHERE v = ?")
            .bind::<Integer, _>(v)
            .get_result::<Count>(conn)
            .unwrap()
            .n
    }

    #[test]
    fn concurrent_parts_share_commits_and_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("group.sqlite3").display());
        let mut setup = crate::db::connect_one(&url).unwrap();
        diesel::sql_query("CREATE TABLE t (v INTEGER NOT NULL)").execute(&mut setup).unwrap();
        let group = Arc::new(GroupCommit::new(crate::db::connect_one(&url).unwrap()));
        let parts = 24;
        let barrier = Arc::new(Barrier::new(parts));
        let handles: Vec<_> = (0..parts)
            .map(|i| {
                let (group, barrier, url) = (group.clone(), barrier.clone(), url.clone());
                std::thread::spawn(move || {
                    let v = i32::try_from(i).unwrap();
                    barrier.wait();
                    let written = group.write(|conn| -> Result<(), DieselError> {
                        diesel::sql_query("INSERT INTO t (v) VALUES (?)").bind::<Integer, _>(v).execute(conn)?;
                        // Slow enough that the others queue behind it.
                        std::thread::sleep(Duration::from_millis(5));
                        if v % 4 == 0 { Err(DieselError::RollbackTransaction) } else { Ok(()) }
                    });
                    // Acknowledged means committed: another connection sees it.
                    let mut reader = crate::db::connect_one(&url).unwrap();
                    match written {
                        Ok(()) => assert_eq!(count(&mut reader, v), 1, "part {v} returned before its commit"),
                        Err(_) => assert_eq!(v % 4, 0, "part {v} failed with another part"),
                    }
                    written.is_ok()
                })
            })
            .collect();
        let ok = handles.into_iter().map(|h| h.join().unwrap()).filter(|&ok| ok).count();
        assert_eq!(ok, parts - parts / 4);
        for v in 0..i32::try_from(parts).unwrap() {
            assert_eq!(count(&mut setup, v), i64::from(v % 4 != 0), "row {v}");
        }
        assert!(group.batches() < u64::try_from(parts).unwrap(), "no two parts shared a commit: {}", group.batches());
    }
}
