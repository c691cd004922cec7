//! Convergence of the real sync (server and phone clients) with change cursors
//! and the whole-inventory fallback together, while the network loses,
//! duplicates and reorders sync requests and loses replies. Random cases of
//! edits, new sessions, syncs through a proxy that misbehaves on command, a
//! rotated database epoch (as after a restore: every cursor is refused) and due
//! reconciliations (the phone sends its inventory); then the network heals and
//! every phone must hold exactly the server's documents with every word once.
//!
//! Requests are reordered by replaying a stashed earlier request (of any phone,
//! with its old cursor and changes) before a later one; a reply cannot arrive
//! for another request over HTTP, so replies are lost or come from a duplicate.
//!
//! 12 cases per backend by default; set `PROPTEST_CASES` for more.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use alongside_tests::phones::Phone;
use alongside_tests::{TestApp, backend_test, spawn_app};
use diesel::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sync_core::{SessionKind, Store};

/// What the proxy does to one sync request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    Pass,
    /// The request never reaches the server.
    LoseRequest,
    /// The server answers; the answer never reaches the phone.
    LoseReply,
    /// The server gets the request twice (the first answer is lost).
    Duplicate,
    /// Relayed, and kept to be replayed later.
    Stash,
    /// A stashed earlier request reaches the server first (answer discarded).
    ReplayEarlier,
}

#[derive(Default)]
struct ProxyState {
    /// What to do with the next sync request.
    next: Option<Net>,
    stash: VecDeque<Vec<u8>>,
}

struct ReplayProxy {
    address: String,
    state: Arc<Mutex<ProxyState>>,
}

impl ReplayProxy {
    fn start(upstream: &str) -> Self {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(ProxyState::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let (upstream, state) = (upstream.clone(), shared.clone());
                std::thread::spawn(move || serve(client, &upstream, &state));
            }
        });
        Self { address, state }
    }

    fn next(&self, net: Net) {
        self.state.lock().unwrap().next = Some(net);
    }
}

/// One HTTP request from `stream`, rewritten to close its connection after the
/// answer; `None` at the end of the stream.
fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut byte = [0; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut byte).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&byte[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut byte).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&byte[..n]);
    }
    let mut lines: Vec<&str> =
        head.trim_end().lines().filter(|l| !l.to_ascii_lowercase().starts_with("connection:")).collect();
    lines.push("Connection: close");
    let mut request = format!("{}\r\n\r\n", lines.join("\r\n")).into_bytes();
    request.extend_from_slice(&buf[head_end..head_end + length]);
    Some(request)
}

/// Send `request` to the server and read its whole answer.
fn forward(upstream: &str, request: &[u8]) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).ok()?;
    server.write_all(request).ok()?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).ok()?;
    Some(answer)
}

fn serve(mut client: TcpStream, upstream: &str, state: &Mutex<ProxyState>) {
    let Some(request) = read_request(&mut client) else { return };
    let net = if request.starts_with(b"POST /v1/sync ") {
        state.lock().unwrap().next.take().unwrap_or(Net::Pass)
    } else {
        Net::Pass
    };
    let answer = match net {
        Net::Pass => forward(upstream, &request),
        Net::LoseRequest => None,
        Net::LoseReply => {
            forward(upstream, &request);
            None
        }
        Net::Duplicate => {
            forward(upstream, &request);
            forward(upstream, &request)
        }
        Net::Stash => {
            state.lock().unwrap().stash.push_back(request.clone());
            forward(upstream, &request)
        }
        Net::ReplayEarlier => {
            let earlier = state.lock().unwrap().stash.pop_front();
            if let Some(earlier) = earlier {
                forward(upstream, &earlier);
            }
            forward(upstream, &request)
        }
    };
    if let Some(answer) = answer {
        let _ = client.write_all(&answer);
    }
    let _ = client.shutdown(Shutdown::Both);
}

#[derive(Debug, Clone)]
enum Step {
    /// Append a unique word to session `session` (if the phone holds it).
    Write { phone: usize, session: usize },
    /// Create a new session.
    Create { phone: usize },
    /// Sync through the proxy, which treats the request as told.
    Sync { phone: usize, net: Net },
    /// The phone's daily reconciliation is due: its next sync sends its inventory.
    Reconcile { phone: usize },
    /// The database's epoch changes (as after a restore): every cursor is refused.
    RotateEpoch,
}

fn net() -> impl Strategy<Value = Net> {
    prop_oneof![
        4 => Just(Net::Pass),
        1 => Just(Net::LoseRequest),
        2 => Just(Net::LoseReply),
        1 => Just(Net::Duplicate),
        1 => Just(Net::Stash),
        1 => Just(Net::ReplayEarlier),
    ]
}

/// Three phones: the mentor's two devices and the mentee's.
const PHONES: usize = 3;

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (0..PHONES, 0..4usize).prop_map(|(phone, session)| Step::Write { phone, session }),
        1 => (0..PHONES).prop_map(|phone| Step::Create { phone }),
        6 => (0..PHONES, net()).prop_map(|(phone, net)| Step::Sync { phone, net }),
        1 => (0..PHONES).prop_map(|phone| Step::Reconcile { phone }),
        1 => Just(Step::RotateEpoch),
    ]
}

fn run_case(app: &TestApp, rt: &tokio::runtime::Runtime, case: usize, steps: &[Step]) -> Result<(), TestCaseError> {
    let org = rt.block_on(app.seed_org(&format!("conv{case}")));
    let proxy = ReplayProxy::start(&app.address);
    let phones = [
        Phone::login_at(&proxy.address, &org.mentor.email),
        Phone::login_at(&proxy.address, &org.mentor.email),
        Phone::login_at(&proxy.address, &org.mentee.email),
    ];
    let first = phones[0].client.create_session(&org.mentorship_id, SessionKind::Meeting, "2026-10-01").unwrap();
    phones[0].client.sync().unwrap();
    let mut known = vec![first];
    let mut words = Vec::new();
    for (n, step) in steps.iter().enumerate() {
        match step {
            Step::Write { phone, session } => {
                let sid = &known[session % known.len()];
                let client = &phones[*phone].client;
                if let Ok(view) = client.session(sid) {
                    let word = format!("<w{n}>");
                    let len = view.notes.encode_utf16().count() as u32;
                    client.edit_notes(sid, len, 0, &word).unwrap();
                    words.push((sid.clone(), word));
                }
            }
            Step::Create { phone } => {
                let day = format!("2026-11-{:02}", 1 + n % 28);
                let sid = phones[*phone].client.create_session(&org.mentorship_id, SessionKind::CheckIn, &day).unwrap();
                known.push(sid);
            }
            Step::Sync { phone, net } => {
                proxy.next(*net);
                // Lost requests and replies show as errors; nothing else may.
                if let Err(error) = phones[*phone].client.sync() {
                    prop_assert!(
                        matches!(net, Net::LoseRequest | Net::LoseReply),
                        "a sync failed through {net:?}: {error:?}"
                    );
                }
            }
            Step::Reconcile { phone } => {
                let mut store = Store::open(&phones[*phone].store_path()).unwrap();
                store.set_setting("sync_reconciled_at", Some("0")).unwrap();
            }
            Step::RotateEpoch => {
                let epoch = format!("rotated{case}x{n}");
                rt.block_on(app.with_db(move |conn| {
                    diesel::sql_query(format!("UPDATE sync_epoch SET epoch = '{epoch}'")).execute(conn)?;
                    Ok(())
                }));
            }
        }
    }
    // The network heals: everyone gets their writes up, then everyone syncs again.
    proxy.state.lock().unwrap().next = None;
    for _ in 0..2 {
        for phone in &phones {
            phone.client.sync().unwrap();
            prop_assert_eq!(phone.client.pending().unwrap(), 0);
        }
    }
    let truth = Phone::login(app, &org.mentee.email);
    truth.client.sync().unwrap();
    let expected = truth.client.sessions(&org.mentorship_id).unwrap();
    prop_assert_eq!(expected.len(), known.len(), "every session reached the server");
    for (sid, word) in &words {
        let session = expected.iter().find(|s| &s.id == sid).unwrap();
        prop_assert_eq!(session.notes.matches(word.as_str()).count(), 1, "{} in {}", word, session.notes);
    }
    for (n, phone) in phones.iter().enumerate() {
        // With its cursor: one round trip, nothing new, and exactly the server's documents.
        let report = phone.client.sync().unwrap();
        prop_assert_eq!(report.round_trips, 1, "phone {}: {:?}", n, report);
        prop_assert_eq!(report.docs_received, 0, "phone {}: {:?}", n, report);
        let held = phone.client.sessions(&org.mentorship_id).unwrap();
        prop_assert_eq!(&held, &expected, "phone {} differs from the server", n);
    }
    Ok(())
}

backend_test! {
    #[test]
    fn cursors_and_the_inventory_converge_under_loss_duplication_and_reordering(backend) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let app = rt.block_on(spawn_app(backend));
        let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
        let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
        let case = std::sync::atomic::AtomicUsize::new(0);
        let result = runner.run(&proptest::collection::vec(step(), 1..40), |steps| {
            let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            run_case(&app, &rt, n, &steps)
        });
        if let Err(error) = result {
            panic!("{backend}: {error}");
        }
    }
}
