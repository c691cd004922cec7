//! Test harness for Alongside's end-to-end tests: the real server on a free
//! port with a fresh database per test, plus fixtures written through the
//! server's own domain functions.
//!
//! Every end-to-end test is written once with [`backend_test!`] and becomes two
//! tests, `NAME::sqlite` and `NAME::postgres`, so each backend passes or fails on
//! its own. The PostgreSQL one runs on a fresh database created through
//! `TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`); when
//! that was not set at build time it is reported as ignored, with the reason,
//! rather than passing without running (see `build.rs`):
//!
//! ```no_run
//! use alongside_tests::{backend_test, spawn_app};
//!
//! backend_test! {
//!     #[tokio::test]
//!     async fn health_answers(backend) {
//!         let app = spawn_app(backend).await;
//!         let response = app.get("/healthz", None).await;
//!         assert_eq!(response.status(), 200, "{backend}");
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! `TEST_LOG=1` prints the server's traces.

// Test support: a failed setup step should stop the test with its reason.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod console;
pub mod fault_proxy;
pub mod phones;
pub mod process;

use std::fmt;
use std::sync::Once;

use alongside_server::Application;
use alongside_server::auth::tokens::fill_random;
use alongside_server::config::{LoginLimits, MetricsAccess, Settings};
use alongside_server::db::audit_events;
use alongside_server::db::{Db, DbConnection};
use alongside_server::domain::mentorships::{self as mentorship_ops, NewMentorship};
use alongside_server::domain::people::NewPerson;
use alongside_server::domain::{self, Actor, OrgId, Role};
use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::{Method, Response};
use secrecy::SecretString;
use serde_json::{Value, json};
use tempfile::TempDir;

/// What fixture code running against the database may fail with.
pub type FixtureError = Box<dyn std::error::Error + Send + Sync>;

/// A person as the tests read them: ids as text.
#[derive(Debug, Clone)]
pub struct PersonRecord {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub display_name: String,
    pub active: bool,
}

/// One audit event as the tests read it: ids as text.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub org_id: String,
    pub actor_person_id: Option<String>,
    pub device_id: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// A JSON object.
    pub detail: String,
    /// The event's place in its organisation's audit chain (from 1).
    pub seq: i64,
}

/// The password every fixture person gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A storage backend the suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// One test per backend: `NAME::sqlite`, and `NAME::postgres`, which is ignored
/// (with the reason) unless the tests were built with `TEST_DATABASE_URL` set.
///
/// The attributes (the test attribute first, e.g. `#[tokio::test]` or `#[test]`)
/// go on both functions; the body sees the backend under the name given, and the
/// enclosing module's items through `use super::*`.
#[macro_export]
macro_rules! backend_test {
    ($(#[$attr:meta])* async fn $name:ident($backend:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($backend: $crate::Backend) $body

            $(#[$attr])*
            async fn sqlite() {
                run($crate::Backend::Sqlite).await
            }

            $(#[$attr])*
            #[cfg_attr(not(postgres_tests), ignore = "PostgreSQL: set TEST_DATABASE_URL to run")]
            async fn postgres() {
                run($crate::Backend::Postgres).await
            }
        }
    };
    ($(#[$attr:meta])* fn $name:ident($backend:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn run($backend: $crate::Backend) $body

            $(#[$attr])*
            fn sqlite() {
                run($crate::Backend::Sqlite)
            }

            $(#[$attr])*
            #[cfg_attr(not(postgres_tests), ignore = "PostgreSQL: set TEST_DATABASE_URL to run")]
            fn postgres() {
                run($crate::Backend::Postgres)
            }
        }
    };
}

/// The URL of the PostgreSQL server that test databases are created through.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|url| !url.trim().is_empty())
}

fn init_tracing() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            alongside_server::telemetry::init("debug,actix_server=info");
        }
    });
}

/// A fresh, empty database that is removed when dropped.
pub struct TestDatabase {
    pub url: String,
    backend: Backend,
    _dir: Option<TempDir>,
    pg: Option<(String, String)>,
}

impl TestDatabase {
    pub fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("create a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("alongside.sqlite3").display());
                Self { url, backend, _dir: Some(dir), pg: None }
            }
            Backend::Postgres => {
                // Built to run (see build.rs), so a missing or unreachable server fails the test.
                let admin = postgres_admin_url()
                    .expect("TEST_DATABASE_URL is not set, but PostgreSQL is required (ALONGSIDE_REQUIRE_POSTGRES)");
                let name = format!("alongside_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&admin)
                    .unwrap_or_else(|error| panic!("connect to TEST_DATABASE_URL: {error}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create a test database");
                let url = replace_database(&admin, &name);
                Self { url, backend, _dir: None, pg: Some((admin, name)) }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            // Best effort: FORCE also ends the server's pooled connections.
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
            }
        }
    }
}

/// Swaps the database name in a `postgres://user@host:port/db?params` URL.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{host_part}/{database}?{query}"),
        None => format!("{host_part}/{database}"),
    }
}

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub backend: Backend,
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub port: u16,
    pub db_url: String,
    pub client: reqwest::Client,
    /// The HS256 secret the server signs with, for crafting tokens.
    pub jwt_secret: String,
    /// A pool onto the same database, for fixtures and inspection.
    pub db: Db,
    server: actix_web::dev::ServerHandle,
    // Dropped last: the database outlives the server and the pool.
    _database: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `stop` sends the command at once; the server's own thread carries it out.
        drop(self.server.stop(false));
    }
}

/// Starts the server on `backend` with default settings.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the server on `backend`, letting the test adjust its settings.
pub async fn spawn_app_with(backend: Backend, customise: impl FnOnce(&mut Settings)) -> TestApp {
    init_tracing();
    let database = TestDatabase::create(backend);
    let data_dir = tempfile::tempdir().expect("create a data directory");
    let mut secret = [0u8; 32];
    fill_random(&mut secret);
    let jwt_secret = hex_string(&secret);
    let mut settings = Settings {
        bind: "127.0.0.1:0".to_owned(),
        database_url: database.url.clone(),
        data_dir: data_dir.path().to_owned(),
        jwt_secret: Some(SecretString::from(jwt_secret.clone())),
        workers: Some(2),
        db_pool_size: 4,
        login_limits: LoginLimits::default(),
        // Tests read the counters; production's default is off (see `MetricsAccess`).
        metrics: MetricsAccess::Public,
        ..Settings::default()
    };
    customise(&mut settings);

    // The server runs on its own thread and runtime, so it outlives nothing it
    // should not and stops cleanly when the test drops its handle.
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _data_dir = data_dir;
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("build the server runtime");
        runtime.block_on(async move {
            match Application::build(settings).await {
                Ok(app) => {
                    let _ = ready_tx.send(Ok((app.port(), app.handle())));
                    let _ = app.run_until_stopped().await;
                }
                Err(error) => {
                    let _ = ready_tx.send(Err(alongside_server::error::cause_chain(&error)));
                }
            }
        });
    });
    let (port, server) = ready_rx
        .await
        .expect("the server thread answers")
        .unwrap_or_else(|error| panic!("the server failed to start: {error}"));
    let db = Db::connect(&database.url, 2).expect("open a fixture pool");
    TestApp {
        backend,
        address: format!("http://127.0.0.1:{port}"),
        port,
        db_url: database.url.clone(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("build an HTTP client"),
        jwt_secret,
        db,
        server,
        _database: database,
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A signed-in device.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub person_id: String,
    pub org_id: String,
    pub device_id: String,
    pub actor_id: String,
    /// The whole login response.
    pub body: Value,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("the server answers")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token, Some(body)).await
    }

    /// `POST /v1/auth/login` as is.
    pub async fn try_login(&self, email: &str, password: &str, device_name: &str) -> Response {
        self.post("/v1/auth/login", None, &json!({ "email": email, "password": password, "device_name": device_name }))
            .await
    }

    /// Logs in and panics unless it succeeds.
    pub async fn login(&self, email: &str, password: &str, device_name: &str) -> Session {
        let response = self.try_login(email, password, device_name).await;
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON login response");
        assert_eq!(status, 200, "login of {email} failed: {body}");
        session_from(&body)
    }

    /// Runs synchronous fixture code against the test database. Any error goes
    /// (`?` converts diesel's, the domain's and the server's alike).
    pub async fn with_db<T, F>(&self, f: F) -> T
    where
        F: FnOnce(&mut DbConnection) -> Result<T, FixtureError> + Send + 'static,
        T: Send + 'static,
    {
        self.db.run(f).await.expect("fixture database work succeeds")
    }

    pub async fn create_org(&self, name: &str) -> String {
        let name = name.to_owned();
        self.with_db(move |conn| Ok(domain::organisations::create(conn, &name)?.id.to_string())).await
    }

    /// Adds a person with [`PASSWORD`]; returns their id.
    pub async fn create_person(&self, org_id: &str, email: &str, name: &str, roles: &[Role]) -> String {
        self.create_person_with(
            org_id,
            NewPerson {
                email: email.to_owned(),
                display_name: name.to_owned(),
                roles: roles.to_vec(),
                password: PASSWORD.to_owned(),
                line_manager_id: None,
                site_id: None,
                start_date: None,
            },
        )
        .await
    }

    pub async fn create_person_with(&self, org_id: &str, new: NewPerson) -> String {
        let org_id = org_id.to_owned();
        self.with_db(move |conn| {
            Ok(domain::people::create(conn, org_id.parse()?, &Actor::system(), &new)?.id.to_string())
        })
        .await
    }

    /// Pairs two people (starting today); returns the mentorship id.
    pub async fn pair(&self, org_id: &str, mentor_id: &str, mentee_id: &str) -> String {
        let org_id: OrgId = org_id.parse().expect("an organisation id");
        let new = NewMentorship {
            mentor_id: mentor_id.parse().expect("a mentor id"),
            mentee_id: mentee_id.parse().expect("a mentee id"),
            started_on: None,
            site_id: None,
            programme_id: None,
        };
        self.with_db(move |conn| Ok(mentorship_ops::create(conn, org_id, &Actor::system(), &new)?.0.id.to_string()))
            .await
    }

    /// A person by email (the first by organisation id, if the email has
    /// accounts in several), with ids as text.
    pub async fn find_person(&self, email: &str) -> Option<PersonRecord> {
        let email = email.to_owned();
        let person = self
            .with_db(move |conn| Ok(alongside_server::db::people::find_all_by_email(conn, &email, 1)?))
            .await
            .into_iter()
            .next()?;
        Some(PersonRecord {
            id: person.id.to_string(),
            org_id: person.org_id.to_string(),
            email: person.email,
            display_name: person.display_name,
            active: person.deactivated_at.is_none(),
        })
    }

    /// The organisation's audit trail, oldest first, with ids as text.
    pub async fn audit_events(&self, org_id: &str) -> Vec<AuditRecord> {
        let org_id: OrgId = org_id.parse().expect("an organisation id");
        let events = self.with_db(move |conn| Ok(audit_events::find_by_org(conn, org_id)?)).await;
        events
            .into_iter()
            .map(|event| AuditRecord {
                org_id: event.org_id.to_string(),
                actor_person_id: event.actor_person_id.map(|id| id.to_string()),
                device_id: event.device_id.map(|id| id.to_string()),
                action: event.action,
                object_type: event.object_type,
                object_id: event.object_id,
                detail: event.detail,
                seq: event.seq,
            })
            .collect()
    }

    /// An organisation with one person per role and one active pairing, every
    /// account signed in on one device. Emails are `<role>@<slug>.example`.
    pub async fn seed_org(&self, slug: &str) -> OrgFixture {
        let org_id = self.create_org(&format!("{slug} care")).await;
        let email = |who: &str| format!("{who}@{slug}.example");
        let admin = self.create_person(&org_id, &email("admin"), "Ada Admin", &[Role::Admin]).await;
        let coordinator =
            self.create_person(&org_id, &email("coordinator"), "Cora Coordinator", &[Role::Coordinator]).await;
        let mentor = self.create_person(&org_id, &email("mentor"), "Mo Mentor", &[Role::Mentor]).await;
        let mentee = self.create_person(&org_id, &email("mentee"), "Mia Mentee", &[Role::Mentee]).await;
        let other_mentee = self.create_person(&org_id, &email("mentee2"), "Noor Newstarter", &[Role::Mentee]).await;
        let mentorship = self.pair(&org_id, &mentor, &mentee).await;
        let mut sessions = Vec::new();
        for who in ["admin", "coordinator", "mentor", "mentee", "mentee2"] {
            sessions.push(self.login(&email(who), PASSWORD, &format!("{who}'s phone")).await);
        }
        let [admin_s, coordinator_s, mentor_s, mentee_s, other_mentee_s]: [Session; 5] =
            sessions.try_into().expect("five sessions");
        OrgFixture {
            org_id,
            admin: Member::new(admin, email("admin"), admin_s),
            coordinator: Member::new(coordinator, email("coordinator"), coordinator_s),
            mentor: Member::new(mentor, email("mentor"), mentor_s),
            mentee: Member::new(mentee, email("mentee"), mentee_s),
            other_mentee: Member::new(other_mentee, email("mentee2"), other_mentee_s),
            mentorship_id: mentorship,
        }
    }
}

/// One person of a fixture organisation, signed in on one device.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub email: String,
    pub session: Session,
}

impl Member {
    fn new(id: String, email: String, session: Session) -> Self {
        Self { id, email, session }
    }

    pub fn token(&self) -> &str {
        &self.session.access_token
    }
}

/// See [`TestApp::seed_org`].
#[derive(Debug, Clone)]
pub struct OrgFixture {
    pub org_id: String,
    pub admin: Member,
    pub coordinator: Member,
    pub mentor: Member,
    /// Paired with `mentor` in `mentorship_id`.
    pub mentee: Member,
    /// Not paired.
    pub other_mentee: Member,
    pub mentorship_id: String,
}

/// Reads a login or refresh response.
pub fn session_from(body: &Value) -> Session {
    let text = |pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{pointer} missing from {body}"))
            .to_owned()
    };
    Session {
        access_token: text("/access_token"),
        refresh_token: text("/refresh_token"),
        person_id: text("/user/id"),
        org_id: text("/user/org_id"),
        device_id: text("/device/id"),
        actor_id: text("/device/actor_id"),
        body: body.clone(),
    }
}

/// Reads a JSON body, panicking with the raw text when it is not JSON.
pub async fn json_body(response: Response) -> Value {
    let text = response.text().await.expect("a response body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("expected JSON, got {text:?}"))
}

/// Asserts an error response's status and `error` code, returning its body.
pub async fn assert_error(response: Response, status: u16, code: &str) -> Value {
    let actual = response.status().as_u16();
    let body = json_body(response).await;
    assert_eq!(actual, status, "unexpected status; body: {body}");
    assert_eq!(body["error"], code, "unexpected error code; body: {body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "error without a message: {body}");
    body
}
