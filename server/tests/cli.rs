//! The `alongside` binary: administration commands on a fresh database, then
//! `serve`, logging in with what the commands printed. Each such test runs as
//! `NAME::sqlite` and `NAME::postgres`; the PostgreSQL one is reported as ignored
//! unless `TEST_DATABASE_URL` was set when it was built (see `build.rs`).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;

use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_alongside");

/// A fresh database (a SQLite file, or a PostgreSQL database dropped afterwards)
/// and a data directory.
struct Env {
    database_url: String,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per backend, each as its own test.
macro_rules! backend_test {
    (async fn $name:ident($env:ident) $body:block) => {
        mod $name {
            use super::*;

            async fn run($env: Env) $body

            #[tokio::test]
            async fn sqlite() {
                run(Env::new(Backend::Sqlite)).await
            }

            #[tokio::test]
            #[cfg_attr(not(postgres_tests), ignore = "PostgreSQL: set TEST_DATABASE_URL to run")]
            async fn postgres() {
                run(Env::new(Backend::Postgres)).await
            }
        }
    };
}

impl Env {
    fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Env::sqlite(),
            Backend::Postgres => {
                // Built to run (see build.rs), so a missing URL fails the test.
                let admin = std::env::var("TEST_DATABASE_URL")
                    .ok()
                    .filter(|u| !u.trim().is_empty())
                    .expect("TEST_DATABASE_URL is not set, but PostgreSQL is required (ALONGSIDE_REQUIRE_POSTGRES)");
                Env::postgres(admin)
            }
        }
    }

    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            // Nested: the command creates the directories.
            database_url: format!("sqlite://{}", dir.path().join("db/nested/alongside.sqlite3").display()),
            dir,
            pg: None,
        }
    }

    fn postgres(admin: String) -> Self {
        let name = format!("alongside_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(&admin).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).unwrap();
        let base = admin.split('?').next().unwrap();
        let server = &base[..base.rfind('/').filter(|i| *i > "postgres://".len()).unwrap_or(base.len())];
        Self { database_url: format!("{server}/{name}"), dir: tempfile::tempdir().unwrap(), pg: Some((admin, name)) }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env_clear()
            .env("ALONGSIDE_DATABASE_URL", &self.database_url)
            .env("ALONGSIDE_DATA_DIR", self.dir.path().join("data"))
            .current_dir(self.dir.path());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run the binary")
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "alongside {args:?} failed on {}: {}",
            self.database_url,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Starts `serve` on a free port; returns the server and its base URL.
    fn serve(&self, extra: &[&str]) -> (Server, String, Vec<String>) {
        let mut args = vec!["serve", "--bind", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut child = self
            .command(&args)
            .env("ALONGSIDE_JWT_SECRET", "a test secret that is long enough for HS256")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server");
        let stdout = child.stdout.take().unwrap();
        let server = Server(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut printed = Vec::new();
        loop {
            let line = rx.recv().expect("the server prints where it listens");
            if let Some(url) = line.strip_prefix("Listening on ") {
                return (server, url.trim().to_owned(), printed);
            }
            printed.push(line);
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
        }
    }
}

/// Kills the server process this test started.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn is_uuid(text: &str) -> bool {
    uuid::Uuid::parse_str(text.trim()).is_ok()
}

async fn login(base: &str, email: &str, password: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({ "email": email, "password": password, "device_name": "cli test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "login of {email}");
    response.json().await.unwrap()
}

async fn get(base: &str, path: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap()
}

backend_test! {
    async fn admin_commands_create_what_serve_then_logs_in_with(env) {
        let migrated = env.ok(&["migrate"]);
        assert!(migrated.contains("applied"), "{migrated}");
        if env.pg.is_none() {
            assert!(env.dir.path().join("db/nested/alongside.sqlite3").exists());
        }
        let org = env.ok(&["org", "create", "--name", "Harbour Homecare"]);
        assert!(is_uuid(&org), "org create prints an id, got {org:?}");
        let org = org.trim();
        let mentor = env.ok(&[
            "user",
            "add",
            "--org",
            org,
            "--email",
            "kofi@harbour.example",
            "--name",
            "Kofi Mensah",
            "--role",
            "mentor,coordinator",
            "--password",
            "mentor kettle lantern orchard",
        ]);
        assert!(is_uuid(&mentor), "{mentor:?}");
        let mentee = env
            .command(&[
                "user",
                "add",
                "--org",
                org,
                "--email",
                "lucy@harbour.example",
                "--name",
                "Lucy Hale",
                "--role",
                "mentee",
            ])
            .env("ALONGSIDE_USER_PASSWORD", "mentee drizzle harbour lamp")
            .output()
            .unwrap();
        assert!(mentee.status.success(), "{}", String::from_utf8_lossy(&mentee.stderr));
        let pairing = env.ok(&[
            "pair",
            "--org",
            org,
            "--mentor",
            "kofi@harbour.example",
            "--mentee",
            "lucy@harbour.example",
            "--start",
            "2025-02-03",
        ]);
        assert!(is_uuid(&pairing), "{pairing:?}");

        let (_server, base, _) = env.serve(&[]);
        let session = login(&base, "lucy@harbour.example", "mentee drizzle harbour lamp").await;
        assert_eq!(session["user"]["roles"], json!(["mentee"]));
        let token = session["access_token"].as_str().unwrap();
        let list: Value = get(&base, "/v1/mentorships", token).await.json().await.unwrap();
        assert_eq!(list[0]["id"], pairing.trim());
        assert_eq!(list[0]["mentor_name"], "Kofi Mensah");
        assert_eq!(list[0]["started_on"], "2025-02-03");
        let coordinator = login(&base, "kofi@harbour.example", "mentor kettle lantern orchard").await;
        assert_eq!(coordinator["user"]["roles"], json!(["mentor", "coordinator"]));

        let device = session["device"]["id"].as_str().unwrap();
        let revoked = env.ok(&["device", "revoke", "--device", device]);
        assert_eq!(revoked.trim(), device);
        // Another process revoked it: the server's token cache learns it within a
        // second (its entries live at most that long without a notification).
        let mut after = Value::Null;
        for _ in 0..30 {
            after = get(&base, "/v1/me", token).await.json().await.unwrap();
            if after["error"] == "device_revoked" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(after["error"], "device_revoked");
    }
}

backend_test! {
    async fn demo_is_idempotent_and_its_printed_logins_work(env) {
        let first = env.ok(&["demo"]);
        let second = env.ok(&["demo"]);
        assert!(first.starts_with("Created the demo organisation \"Riverside Care\""), "{first}");
        assert!(second.starts_with("Found the demo organisation"), "{second}");
        let logins = |text: &str| -> Vec<(String, String, String)> {
            text.lines()
                .filter(|line| line.contains('@'))
                .map(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    (fields[0].to_owned(), fields[1].to_owned(), fields[2].to_owned())
                })
                .collect()
        };
        let printed = logins(&first);
        assert_eq!(printed, logins(&second));
        assert_eq!(printed.len(), 11, "an admin, a coordinator, 3 mentors and 6 mentees");
        for role in ["admin", "coordinator", "mentor", "mentee"] {
            assert!(printed.iter().any(|(_, _, roles)| roles == role), "no {role} in {first}");
        }

        // `serve --with-demo` finds the existing organisation and prints the same logins.
        let (_server, base, before_listening) = env.serve(&["--with-demo"]);
        assert_eq!(logins(&before_listening.join("\n")), printed);
        let (email, password, _) = printed.iter().find(|(_, _, roles)| roles == "coordinator").unwrap();
        let coordinator = login(&base, email, password).await;
        let token = coordinator["access_token"].as_str().unwrap();
        let pairings: Value = get(&base, "/v1/mentorships", token).await.json().await.unwrap();
        let pairings = pairings.as_array().unwrap();
        assert_eq!(pairings.len(), 6);
        assert!(pairings.iter().all(|p| p["status"] == "active"));
        let mut starts: Vec<&str> = pairings.iter().map(|p| p["started_on"].as_str().unwrap()).collect();
        starts.dedup();
        assert_eq!(starts.len(), 6, "pairings started on different days");
        for (email, password, _) in &printed {
            login(&base, email, password).await;
        }
    }
}

#[tokio::test]
async fn serve_with_demo_seeds_an_empty_database() {
    let env = Env::sqlite();
    let (_server, base, printed) = env.serve(&["--with-demo"]);
    assert!(printed[0].starts_with("Created the demo organisation"), "{printed:?}");
    let health = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(Path::new(&env.dir.path().join("db/nested/alongside.sqlite3")).exists());
}

fn assert_fails(output: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
    assert!(output.stdout.is_empty(), "nothing on stdout on failure");
}

#[test]
fn bad_options_fail_with_a_clear_message_and_nonzero_status() {
    let env = Env::sqlite();
    assert_fails(&env.run(&["user", "add", "--email", "a@b.example"]), 2, "--org");
    assert_fails(
        &env.run(&[
            "user",
            "add",
            "--org",
            "x",
            "--email",
            "a@b.example",
            "--name",
            "A",
            "--role",
            "wizard",
            "--password",
            "kettle lantern orchard drizzle",
        ]),
        2,
        "wizard",
    );
    assert_fails(
        &env.run(&[
            "pair",
            "--org",
            "x",
            "--mentor",
            "a@b.example",
            "--mentee",
            "c@d.example",
            "--start",
            "2025-13-40",
        ]),
        2,
        "YYYY-MM-DD",
    );
    assert_fails(&env.run(&["--database-url", "mysql://localhost/x", "migrate"]), 1, "unsupported database url");
    assert_fails(
        &env.run(&[
            "user",
            "add",
            "--org",
            &uuid::Uuid::new_v4().to_string(),
            "--email",
            "a@b.example",
            "--name",
            "A",
            "--role",
            "mentee",
            "--password",
            "kettle lantern orchard drizzle",
        ]),
        1,
        "organisation not found",
    );
    let org = env.ok(&["org", "create", "--name", "Org"]);
    assert_fails(
        &env.run(&[
            "user",
            "add",
            "--org",
            org.trim(),
            "--email",
            "a@b.example",
            "--name",
            "A",
            "--role",
            "mentee",
            "--password",
            "short",
        ]),
        1,
        "at least 12 characters",
    );
    assert_fails(&env.run(&["device", "revoke", "--device", "nope"]), 1, "device not found");
    assert_fails(&env.run(&["org", "create", "--name", "  "]), 1, "must not be empty");
    let bad_secret =
        env.command(&["serve", "--bind", "127.0.0.1:0"]).env("ALONGSIDE_JWT_SECRET", "short").output().unwrap();
    assert_fails(&bad_secret, 1, "at least 32 bytes");
}
