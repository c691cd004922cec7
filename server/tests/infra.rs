//! The server's plumbing through its public surfaces (the command line, HTTP
//! and `Application`): request ids, bounded metrics, the document cache keyed by
//! id, and live events between two servers on one PostgreSQL database.
//!
//! Each backend has its own test function. The PostgreSQL ones need
//! `TEST_DATABASE_URL` when the tests are built; without it they are reported as
//! ignored with the reason (see `build.rs`), and with it an unreachable server fails.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use alongside_server::config::Settings;
use alongside_server::state::AppState;
use alongside_server::{Application, sync::live};
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::{Value, json};
use sync_core::automerge::ActorId;
use sync_core::protocol::{self, DocOffer, SyncRequest, SyncResponse};
use sync_core::{DocHeader, Document, DocumentId, MentorshipId, Pair, UserId};

const BIN: &str = env!("CARGO_BIN_EXE_alongside");
const PASSWORD: &str = "a long enough password";
const SECRET: &str = "a test secret that is long enough for HS256";

/// A fresh database: a SQLite file, or a PostgreSQL database dropped afterwards.
struct Database {
    url: String,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Database {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self { url: format!("sqlite://{}", dir.path().join("alongside.sqlite3").display()), dir, pg: None }
    }

    /// A fresh database on the server `TEST_DATABASE_URL` names.
    fn postgres() -> Self {
        let admin = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .expect("the PostgreSQL tests need TEST_DATABASE_URL");
        let name = format!("alongside_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(&admin).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).unwrap();
        let base = admin.split('?').next().unwrap();
        let server = &base[..base.rfind('/').filter(|i| *i > "postgres://".len()).unwrap_or(base.len())];
        Self { url: format!("{server}/{name}"), dir: tempfile::tempdir().unwrap(), pg: Some((admin, name)) }
    }

    /// Run an administration command; its stdout, trimmed.
    fn cli(&self, args: &[&str]) -> String {
        let output = Command::new(BIN)
            .args(args)
            .env_clear()
            .env("ALONGSIDE_DATABASE_URL", &self.url)
            .env("ALONGSIDE_DATA_DIR", self.dir.path().join("data"))
            .env("ALONGSIDE_USER_PASSWORD", PASSWORD)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    /// Migrates and makes an organisation; its id.
    fn org(&self, name: &str) -> String {
        self.cli(&["migrate"]);
        self.cli(&["org", "create", "--name", name])
    }

    /// A pairing in `org`, made with the command line.
    fn pair(&self, org: &str, tag: &str) -> Pair {
        let mut ids = Vec::new();
        for role in ["mentor", "mentee"] {
            let email = format!("{role}-{tag}@infra.example");
            ids.push(self.cli(&["user", "add", "--org", org, "--email", &email, "--name", &email, "--role", role]));
        }
        let mentor = format!("mentor-{tag}@infra.example");
        let mentee = format!("mentee-{tag}@infra.example");
        let mentorship = self.cli(&["pair", "--org", org, "--mentor", &mentor, "--mentee", &mentee]);
        Pair {
            mentorship_id: mentorship.parse::<MentorshipId>().unwrap(),
            mentor_id: ids[0].parse::<UserId>().unwrap(),
            mentee_id: ids[1].parse::<UserId>().unwrap(),
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
        }
    }
}

/// A server running in this process on its own thread and runtime.
struct Server {
    base: String,
    state: AppState,
    handle: actix_web::dev::ServerHandle,
    http: reqwest::Client,
}

impl Server {
    async fn start(database: &Database) -> Self {
        let settings = Settings {
            bind: "127.0.0.1:0".into(),
            database_url: database.url.clone(),
            data_dir: database.dir.path().join("data"),
            jwt_secret: Some(SECRET.to_owned().into()),
            workers: Some(2),
            db_pool_size: 4,
            // These tests read the counters; production's default is off.
            metrics: alongside_server::config::MetricsAccess::Public,
            ..Settings::default()
        };
        let (ready, started) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let app = Application::build(settings).await.unwrap();
                let _ = ready.send((app.port(), app.handle(), app.state().clone()));
                let _ = app.run_until_stopped().await;
            });
        });
        let (port, handle, state) = started.await.unwrap();
        Self { base: format!("http://127.0.0.1:{port}"), state, handle, http: reqwest::Client::new() }
    }

    /// Signs in; the access token and the device's actor.
    async fn login(&self, email: &str) -> (String, ActorId) {
        let body = json!({ "email": email, "password": PASSWORD, "device_name": "infra test" });
        let response = self.http.post(format!("{}/v1/auth/login", self.base)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 200, "login of {email}");
        let session: Value = response.json().await.unwrap();
        let actor = hex::decode(session["device"]["actor_id"].as_str().unwrap()).unwrap();
        (session["access_token"].as_str().unwrap().to_owned(), ActorId::from(actor))
    }

    async fn sync(&self, token: &str, documents: Vec<DocOffer>) -> SyncResponse {
        let request = SyncRequest {
            protocol: protocol::PROTOCOL_VERSION,
            complete_inventory: false,
            documents,
            oldest_unsynced_secs: None,
            offered_before: Vec::new(),
            cursor: None,
        };
        let mut body = Vec::new();
        ciborium::into_writer(&request, &mut body).unwrap();
        let response = self
            .http
            .post(format!("{}/v1/sync", self.base))
            .bearer_auth(token)
            .header("content-type", protocol::CONTENT_TYPE)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.bytes().await.unwrap();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        ciborium::from_reader(&bytes[..]).unwrap()
    }

    async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// Every change of `doc`, as a device that never synced it offers them.
fn offer(doc: &mut Document) -> DocOffer {
    let heads = protocol::heads_to_wire(&doc.heads());
    let changes = doc.automerge().get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec().into()).collect();
    DocOffer { header: *doc.header(), heads, changes, sync_message: None }
}

/// A session the mentor of `pair` wrote on a phone with `actor`.
fn written_session(id: DocumentId, pair: Pair, actor: ActorId, notes: &str) -> Document {
    let mut doc = Document::create(DocHeader::session(id, pair), actor).unwrap();
    doc.edit_notes(pair.mentor_id, 0, 0, notes).unwrap();
    doc
}

async fn a_header_only_offer_under_another_scope_does_not_break_the_owners_sync(database: Database) {
    let org = database.org("Cache Care");
    let owners = database.pair(&org, "owner");
    let other = database.pair(&org, "other");
    let server = Server::start(&database).await;
    let (owner_token, owner_actor) = server.login(&format!("mentor-{}@infra.example", "owner")).await;
    let (other_token, _) = server.login(&format!("mentee-{}@infra.example", "other")).await;

    // The owner made a session offline; someone who saw its id offers it first,
    // under their own pairing and with nothing in it, so nothing is stored.
    let id = DocHeader::new_session(owners).id;
    let mut session = written_session(id, owners, owner_actor, "Handover at seven.");
    let squat =
        DocOffer { header: DocHeader::session(id, other), heads: Vec::new(), changes: Vec::new(), sync_message: None };
    server.sync(&other_token, vec![squat]).await;

    let reply = server.sync(&owner_token, vec![offer(&mut session)]).await;
    let doc = &reply.documents[0];
    assert_eq!(doc.rejection, None);
    assert!(doc.sync_message.is_none(), "no fallback: the server took the changes as they are");
    assert_eq!(doc.heads, protocol::heads_to_wire(&session.heads()));
    let (mentee_token, _) = server.login(&format!("mentee-{}@infra.example", "owner")).await;
    let view: Value = server
        .http
        .get(format!("{}/v1/documents/{id}", server.base))
        .bearer_auth(&mentee_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["view"]["notes"], "Handover at seven.", "{view}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_only_offer_under_another_scope_does_not_break_the_owners_sync_on_sqlite() {
    a_header_only_offer_under_another_scope_does_not_break_the_owners_sync(Database::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "PostgreSQL: set TEST_DATABASE_URL to run")]
async fn a_header_only_offer_under_another_scope_does_not_break_the_owners_sync_on_postgres() {
    a_header_only_offer_under_another_scope_does_not_break_the_owners_sync(Database::postgres()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_a_request_id_and_invented_methods_leave_metrics_small() {
    let database = Database::sqlite();
    database.cli(&["migrate"]);
    let server = Server::start(&database).await;
    let mut ids = std::collections::HashSet::new();
    for n in 0..600 {
        let (method, path) = match n % 3 {
            0 => (reqwest::Method::from_bytes(format!("INVENT{n}").as_bytes()).unwrap(), format!("/x/{n}")),
            1 => (reqwest::Method::GET, format!("/v1/people/{}", uuid::Uuid::new_v4())),
            _ => (reqwest::Method::DELETE, format!("/no/such/{n}?q={n}")),
        };
        let response = server.http.request(method, format!("{}{path}", server.base)).send().await.unwrap();
        let id = response.headers().get("x-request-id").expect("a request id on every response");
        let id = uuid::Uuid::parse_str(id.to_str().unwrap()).expect("a uuid");
        assert!(ids.insert(id), "request ids are fresh");
    }
    let text = server.http.get(format!("{}/metrics", server.base)).send().await.unwrap().text().await.unwrap();
    assert!(!text.contains("INVENT"), "invented methods are not labels");
    assert!(!text.contains("/x/") && !text.contains("/no/such"), "raw paths are not labels");
    assert!(text.contains(r#"method="other",route="unmatched""#), "{text}");
    assert!(text.contains(r#"route="/v1/people/{id}""#), "{text}");
    assert!(text.contains("alongside_http_request_duration_seconds_bucket"), "{text}");
    assert!(text.len() < 32 * 1024, "/metrics grew to {} bytes", text.len());
    server.stop().await;
}

/// Wait up to `within` for an event about `id` on `events`.
async fn hears_of(
    events: &mut tokio::sync::broadcast::Receiver<live::LiveEvent>,
    id: DocumentId,
    within: Duration,
) -> bool {
    let id = id.to_string();
    tokio::time::timeout(within, async {
        loop {
            match events.recv().await {
                Ok(event) if event.document_id == id => return,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => std::future::pending().await,
            }
        }
    })
    .await
    .is_ok()
}

/// The connections on `database` that have run LISTEN, by backend pid.
fn listeners(admin: &mut PgConnection, database: &str) -> Vec<i32> {
    #[derive(diesel::QueryableByName)]
    struct Backend {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    diesel::sql_query(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 \
         AND state = 'idle' AND query LIKE 'LISTEN%' ORDER BY pid",
    )
    .bind::<diesel::sql_types::Text, _>(database)
    .bind::<diesel::sql_types::Text, _>(live::APPLICATION_NAME)
    .load::<Backend>(admin)
    .unwrap()
    .into_iter()
    .map(|b| b.pid)
    .collect()
}

async fn wait_for_listeners(admin: &mut PgConnection, database: &str, not: &[i32]) -> Vec<i32> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = listeners(admin, database);
        if now.len() == 2 && now.iter().all(|pid| !not.contains(pid)) {
            return now;
        }
        assert!(Instant::now() < deadline, "listeners are {now:?}, expected two new ones (not {not:?})");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "PostgreSQL: set TEST_DATABASE_URL to run")]
async fn a_change_through_one_server_reaches_a_listener_on_the_other_and_survives_a_dropped_connection() {
    let database = Database::postgres();
    let org = database.org("Two Servers Care");
    let pair = database.pair(&org, "live");
    let first = Server::start(&database).await;
    let second = Server::start(&database).await;
    let (admin_url, name) = database.pg.clone().unwrap();
    let mut admin = PgConnection::establish(&admin_url).unwrap();
    let before = wait_for_listeners(&mut admin, &name, &[]).await;

    let mut events = second.state.sync.notifier.subscribe();
    let (token, actor) = first.login("mentor-live@infra.example").await;
    let id = DocHeader::new_session(pair).id;
    first.sync(&token, vec![offer(&mut written_session(id, pair, actor.clone(), "First visit."))]).await;
    assert!(hears_of(&mut events, id, Duration::from_secs(5)).await, "the second server heard of the change");

    // PostgreSQL drops both listening connections; each server reconnects.
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
    )
    .bind::<diesel::sql_types::Text, _>(&name)
    .bind::<diesel::sql_types::Text, _>(live::APPLICATION_NAME)
    .execute(&mut admin)
    .unwrap();
    wait_for_listeners(&mut admin, &name, &before).await;
    let id = DocHeader::new_session(pair).id;
    first.sync(&token, vec![offer(&mut written_session(id, pair, actor, "Second visit."))]).await;
    assert!(hears_of(&mut events, id, Duration::from_secs(5)).await, "heard again after reconnecting");

    first.stop().await;
    second.stop().await;
}
