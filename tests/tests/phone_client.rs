//! The phone client while a sync waits on a slow network: edits go on without
//! waiting for it, are neither lost nor taken as synced, and go out with the next
//! sync. A proxy in front of the real server holds the answer to a sync request
//! until the test releases it.
//!
//! SQLite only: what is tested is the client's locking and bookkeeping, which do
//! not depend on the server's database (the sync itself runs on both backends in
//! `sync.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use alongside_tests::phones::Phone;
use alongside_tests::{Backend, spawn_app};
use sync_core::{Client, SessionKind, Store};

/// How long the proxy holds an answer at most, so a broken client cannot hang the
/// suite; the tests release it long before.
const HOLD_AT_MOST: Duration = Duration::from_secs(20);

#[derive(Default)]
struct Hold {
    /// Hold the answer to the next sync request.
    armed: bool,
    /// An answer is being held now.
    holding: bool,
    /// The test let the held answer go.
    released: bool,
    /// Sync requests that reached the proxy.
    syncs_seen: usize,
}

#[derive(Default)]
struct Shared {
    hold: Mutex<Hold>,
    changed: Condvar,
}

impl Shared {
    fn update(&self, f: impl FnOnce(&mut Hold)) {
        f(&mut self.hold.lock().unwrap());
        self.changed.notify_all();
    }

    fn wait_for(&self, what: &str, done: impl Fn(&Hold) -> bool) {
        let guard = self.hold.lock().unwrap();
        let (_guard, timeout) = self.changed.wait_timeout_while(guard, HOLD_AT_MOST, |h| !done(h)).unwrap();
        assert!(!timeout.timed_out(), "timed out waiting for {what}");
    }
}

/// A TCP proxy to the test server that can hold the answer to a sync request.
struct HoldingProxy {
    address: String,
    shared: Arc<Shared>,
}

impl HoldingProxy {
    fn start(upstream: &str) -> Self {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared::default());
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let (upstream, shared) = (upstream.clone(), accepting.clone());
                std::thread::spawn(move || relay(client, &upstream, shared));
            }
        });
        Self { address, shared }
    }

    /// Hold the answer to the next sync request until [`HoldingProxy::release`].
    fn arm(&self) {
        self.shared.update(|h| {
            h.armed = true;
            h.released = false;
        });
    }

    /// Wait until a sync request has reached the server and its answer is held.
    fn wait_until_holding(&self) {
        self.shared.wait_for("a held sync answer", |h| h.holding);
    }

    fn is_holding(&self) -> bool {
        self.shared.hold.lock().unwrap().holding
    }

    fn release(&self) {
        self.shared.update(|h| h.released = true);
    }

    fn syncs_seen(&self) -> usize {
        self.shared.hold.lock().unwrap().syncs_seen
    }
}

/// Copy one connection both ways; hold the answer to an armed sync request.
fn relay(client: TcpStream, upstream: &str, shared: Arc<Shared>) {
    let Ok(server) = TcpStream::connect(upstream) else { return };
    let hold_answer = Arc::new(AtomicBool::new(false));
    let (mut from_client, mut to_server) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let (requests_shared, hold_next) = (shared.clone(), hold_answer.clone());
    std::thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = match from_client.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // Requests on a connection come one at a time, each starting a write.
            if buf[..n].starts_with(b"POST /v1/sync ") {
                requests_shared.update(|h| {
                    h.syncs_seen += 1;
                    if std::mem::take(&mut h.armed) {
                        hold_next.store(true, Ordering::SeqCst);
                    }
                });
            }
            if to_server.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to_server.shutdown(Shutdown::Write);
    });
    let (mut from_server, mut to_client) = (server, client);
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = match from_server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if hold_answer.swap(false, Ordering::SeqCst) {
            shared.update(|h| h.holding = true);
            let guard = shared.hold.lock().unwrap();
            drop(shared.changed.wait_timeout_while(guard, HOLD_AT_MOST, |h| !h.released).unwrap());
            shared.update(|h| h.holding = false);
        }
        if to_client.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to_client.shutdown(Shutdown::Write);
}

fn notes_len(phone: &Phone, session: &str) -> u32 {
    phone.client.session(session).unwrap().notes.encode_utf16().count() as u32
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_during_a_held_sync_returns_at_once_and_syncs_next_time() {
    let app = spawn_app(Backend::Sqlite).await;
    let org = app.seed_org("holm").await;
    let proxy = HoldingProxy::start(&app.address);
    let mentor = Phone::login_at(&proxy.address, &org.mentor.email);
    let sid = mentor.client.create_session(&org.mentorship_id, SessionKind::Meeting, "2026-09-01").unwrap();
    mentor.client.edit_notes(&sid, 0, 0, "Before the sync. ").unwrap();

    proxy.arm();
    std::thread::scope(|scope| {
        let first = scope.spawn(|| mentor.client.sync());
        proxy.wait_until_holding();

        // The sync waits on the network; editing and reading do not wait for it.
        mentor.client.edit_notes(&sid, notes_len(&mentor, &sid), 0, "Written during the sync.").unwrap();
        assert!(mentor.client.session(&sid).unwrap().notes.contains("Written during the sync."));
        assert!(proxy.is_holding() && !first.is_finished(), "the edit returned while the sync still waited");

        // A second sync waits for the first instead of sending meanwhile.
        let second = scope.spawn(|| mentor.client.sync());
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(proxy.syncs_seen(), 1, "a second sync started while the first was in flight");

        proxy.release();
        let report = first.join().unwrap().unwrap();
        assert_eq!((report.round_trips, report.docs_sent), (1, 1), "{report:?}");
        let report = second.join().unwrap().unwrap();
        assert_eq!(report.docs_sent, 1, "the second sync carries the edit made in flight: {report:?}");
    });
    assert_eq!(mentor.client.pending().unwrap(), 0);

    let mentee = Phone::login(&app, &org.mentee.email);
    mentee.client.sync().unwrap();
    assert_eq!(mentee.client.session(&sid).unwrap().notes, "Before the sync. Written during the sync.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_during_a_held_sync_is_not_taken_as_synced() {
    let app = spawn_app(Backend::Sqlite).await;
    let org = app.seed_org("wray").await;
    let proxy = HoldingProxy::start(&app.address);
    let mentor = Phone::login_at(&proxy.address, &org.mentor.email);
    let sid = mentor.client.create_session(&org.mentorship_id, SessionKind::Meeting, "2026-09-02").unwrap();

    proxy.arm();
    std::thread::scope(|scope| {
        let syncing = scope.spawn(|| mentor.client.sync());
        proxy.wait_until_holding();
        mentor.client.set_my_account(&sid, "Written while the answer was on its way.").unwrap();
        proxy.release();
        syncing.join().unwrap().unwrap();
    });
    assert_eq!(mentor.client.pending().unwrap(), 1, "the answer acknowledged only what its request carried");
    let account = mentor.client.session(&sid).unwrap().accounts.get(&org.mentor.id).cloned();
    assert_eq!(
        account.as_deref(),
        Some("Written while the answer was on its way."),
        "the answer was merged, not written over"
    );

    let report = mentor.client.sync().unwrap();
    assert_eq!(report.docs_sent, 1, "{report:?}");
    assert_eq!(mentor.client.pending().unwrap(), 0);
    let mentee = Phone::login(&app, &org.mentee.email);
    mentee.client.sync().unwrap();
    let account = mentee.client.session(&sid).unwrap().accounts.get(&org.mentor.id).cloned();
    assert_eq!(account.as_deref(), Some("Written while the answer was on its way."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_written_while_a_refused_sync_was_in_flight_is_kept_for_the_user() {
    let app = spawn_app(Backend::Sqlite).await;
    let org = app.seed_org("eden").await;
    let proxy = HoldingProxy::start(&app.address);
    let Phone { client, dir } = Phone::login_at(&proxy.address, &org.mentor.email);
    let sid = client.create_session(&org.mentorship_id, SessionKind::Shadowing, "2026-09-03").unwrap();
    client.sync().unwrap();
    let store_path = dir.path().join(format!("{}.sqlite3", org.mentor.id));
    drop(client);

    // The phone's record of its actor is wrong, so the server refuses what it writes
    // (`wrong_actor`) and sends its own version back.
    {
        let mut store = Store::open(&store_path).unwrap();
        let mut account: serde_json::Value = serde_json::from_str(&store.setting("account").unwrap().unwrap()).unwrap();
        account["actor_id"] = "00112233445566778899aabbccddeeff".into();
        store.set_setting("account", Some(&account.to_string())).unwrap();
    }
    let mentor = Phone { client: Client::new(dir.path(), &proxy.address).unwrap(), dir };
    mentor.client.edit_notes(&sid, 0, 0, "Refused words.").unwrap();

    proxy.arm();
    let report = std::thread::scope(|scope| {
        let syncing = scope.spawn(|| mentor.client.sync());
        proxy.wait_until_holding();
        mentor.client.set_my_account(&sid, "My account, written in flight.").unwrap();
        proxy.release();
        syncing.join().unwrap().unwrap()
    });

    assert!(report.rejected.iter().any(|r| r.reason.contains("another device's actor")), "{report:?}");
    let kept: Vec<_> = mentor.client.rejections().unwrap().into_iter().map(|r| r.kept_text).collect();
    assert!(kept.iter().any(|t| t.contains("My account, written in flight.")), "the in-flight text is kept: {kept:?}");
    let view = mentor.client.session(&sid).unwrap();
    assert!(!view.notes.contains("Refused words."), "back to the server's version");
    assert_eq!(mentor.client.pending().unwrap(), 0, "nothing stalls in the queue");
}
