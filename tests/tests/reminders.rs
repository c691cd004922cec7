//! Issue 15, reminders and the coordinators' digest, end to end: a pairing
//! that started long ago gives its pair an overdue touchpoint, an action past
//! due, a session waiting for signatures and an unsigned agreement, and its
//! mentor expiring training; the phones read them offline; nobody sees another
//! person's. The digest goes to a real SMTP server (aiosmtpd on loopback) with
//! names and counts and none of the pair's words; `--dry-run` sends nothing;
//! `serve` sends it once a week however many processes run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alongside_server::config::{DigestSchedule, SmtpSettings};
use alongside_server::domain::mentorships::{self as mentorship_ops, NewMentorship};
use alongside_server::domain::training::{self, TrainingInput};
use alongside_server::domain::{Actor, Day};
use alongside_tests::phones::Phone;
use alongside_tests::process::{free_port, run_cli, server_binary};
use alongside_tests::{OrgFixture, TestApp, backend_test, json_body, spawn_app, spawn_app_with};
use secrecy::SecretString;
use serde_json::Value;
use sync_core::{Client, SessionKind};
use tempfile::TempDir;

const NOTES: &str = "NOTES-SECRET: Mrs B was upset at lunch";
const SUMMARY: &str = "SUMMARY-SECRET: handover practised";
const ACTION: &str = "ACTION-SECRET: read the falls policy";
const CONCERN: &str = "CONCERN-SECRET: bruising on Mr K's arm";

fn day(offset: i64) -> Day {
    Day::today() + time::Duration::days(offset)
}

/// A real SMTP server on loopback: aiosmtpd keeping each message in a maildir.
struct SmtpServer {
    child: Child,
    port: u16,
    maildir: TempDir,
}

impl SmtpServer {
    fn start() -> Self {
        let maildir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run python3 -m aiosmtpd (scripts/install-smtp installs it)");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("aiosmtpd exited ({status}): run scripts/install-smtp");
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port, maildir }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, raw.
    fn messages(&self) -> Vec<String> {
        let folder: PathBuf = self.maildir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(folder) else { return Vec::new() };
        let mut out: Vec<String> =
            entries.map(|e| unfold(&std::fs::read_to_string(e.unwrap().path()).unwrap())).collect();
        out.sort();
        out
    }

    fn wait_for(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(Instant::now() < deadline, "{} messages arrived, expected {count}", messages.len());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A message with its header lines unfolded (long headers are folded onto
/// lines starting with a space) and plain newlines.
fn unfold(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    match raw.split_once("\n\n") {
        Some((head, body)) => format!("{}\n\n{body}", head.replace("\n ", " ").replace("\n\t", " ")),
        None => raw,
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `seed_org` plus a pairing of the same mentor with `other_mentee` that
/// started 80 days ago: one meeting on day 30 (met that check-in, 50 days ago,
/// unsigned), nothing since, so the day 60 check-in is overdue; an action due 5
/// days ago; no agreement. The mentor's safeguarding course expires in 10 days.
struct Scenario {
    org: OrgFixture,
    old_pairing: String,
    session_id: String,
}

async fn seed(app: &TestApp, slug: &str) -> Scenario {
    let org = app.seed_org(slug).await;
    let (org_id, mentor, mentee) = (org.org_id.clone(), org.mentor.id.clone(), org.other_mentee.id.clone());
    let old_pairing = app
        .with_db(move |conn| {
            let new = NewMentorship {
                mentor_id: mentor.parse()?,
                mentee_id: mentee.parse()?,
                started_on: Some(day(-80)),
                site_id: None,
                programme_id: None,
            };
            let org_id = org_id.parse()?;
            let (view, _) = mentorship_ops::create(conn, org_id, &Actor::system(), &new)?;
            let input = TrainingInput {
                course: "Safeguarding adults".into(),
                completed_on: day(-700).to_string(),
                expires_on: Some(day(10).to_string()),
                evidence: String::new(),
            };
            training::record(conn, org_id, &Actor::system(), mentor.parse()?, &input)?;
            Ok(view.id.to_string())
        })
        .await;
    let phone = Phone::login(app, &org.other_mentee.email);
    let session_id = phone.client.create_session(&old_pairing, SessionKind::Meeting, &day(-50).to_string()).unwrap();
    phone.client.edit_notes(&session_id, 0, 0, NOTES).unwrap();
    phone.client.set_shared_summary(&session_id, SUMMARY).unwrap();
    phone.client.add_action(&session_id, ACTION, &org.other_mentee.id, Some(&day(-5).to_string())).unwrap();
    assert!(phone.client.sync().unwrap().rejected.is_empty());
    Scenario { org, old_pairing, session_id }
}

fn kinds(list: &[sync_core::Reminder], mentorship: &str) -> Vec<String> {
    let mut out: Vec<String> =
        list.iter().filter(|r| r.mentorship_id.as_deref() == Some(mentorship)).map(|r| r.kind.clone()).collect();
    out.sort();
    out.dedup();
    out
}

fn assert_no_pair_text(text: &str) {
    for secret in ["NOTES-SECRET", "SUMMARY-SECRET", "ACTION-SECRET", "CONCERN-SECRET", "Mrs B", "falls policy", "Mr K"]
    {
        assert!(!text.contains(secret), "`{secret}` leaked into: {text}");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_old_pairing_s_reminders_reach_the_phones_and_read_offline(backend) {
        let app = spawn_app(backend).await;
        let s = seed(&app, "rowan").await;
        let (old, fresh) = (s.old_pairing.as_str(), s.org.mentorship_id.as_str());

        // The old pairing's mentee: every pair kind, and only their pairing.
        let mentee = Phone::login(&app, &s.org.other_mentee.email);
        mentee.client.sync().unwrap();
        let list = mentee.client.reminders().unwrap();
        assert_eq!(
            kinds(&list, old),
            ["action", "agreement", "session_sign_off", "survey", "touchpoint"],
            "{backend}: {list:#?}"
        );
        assert!(list.iter().all(|r| r.mentorship_id.as_deref() == Some(old)), "{backend}: {list:#?}");
        assert!(list.iter().all(|r| r.kind != "training"), "{backend}: the mentor's training is the mentor's");
        let touchpoint = list.iter().find(|r| r.kind == "touchpoint").unwrap();
        assert!(touchpoint.title.starts_with("Day 60 check-in with Mo Mentor, due by"), "{backend}: {touchpoint:?}");
        assert_eq!(touchpoint.due_on, day(-80 + 67).to_string());
        assert!(touchpoint.overdue);
        let action = list.iter().find(|r| r.kind == "action").unwrap();
        assert_eq!(action.document_id.as_deref(), Some(s.session_id.as_str()));
        assert_eq!(action.due_on, day(-5).to_string());
        assert!(action.title.starts_with("Action from the "), "{backend}: {action:?}");
        let signing = list.iter().find(|r| r.kind == "session_sign_off").unwrap();
        assert!(signing.title.ends_with("waiting for both signatures"), "{backend}: {signing:?}");
        let agreement = list.iter().find(|r| r.kind == "agreement").unwrap();
        assert_eq!(agreement.due_on, day(-80 + 14).to_string());
        // Induction asks the mentee at day 30 (day 90 is still to come).
        let surveys: Vec<_> = list.iter().filter(|r| r.kind == "survey").collect();
        assert_eq!(surveys.len(), 1, "{backend}: {surveys:#?}");
        assert_eq!(surveys[0].due_on, day(-80 + 30).to_string());
        assert!(surveys[0].overdue && surveys[0].title.starts_with("Survey \""), "{backend}: {:?}", surveys[0]);
        for r in &list {
            assert_no_pair_text(&r.title);
        }

        // The paired mentee of the new pairing sees neither the old pairing nor
        // the mentor's training; a coordinator in no pairing gets nothing.
        let other = Phone::login(&app, &s.org.mentee.email);
        other.client.sync().unwrap();
        let theirs = other.client.reminders().unwrap();
        assert!(theirs.iter().all(|r| r.mentorship_id.as_deref() == Some(fresh)), "{backend}: {theirs:#?}");
        assert_eq!(kinds(&theirs, fresh), ["touchpoint"], "{backend}: the welcome is due tomorrow: {theirs:#?}");
        assert!(!theirs[0].overdue);
        let body = json_body(app.get("/v1/reminders", Some(s.org.coordinator.token())).await).await;
        assert_eq!(body, Value::Array(Vec::new()), "{backend}");
        assert_eq!(app.get("/v1/reminders", None).await.status(), 401);

        // The mentor: both pairings and their own course, then offline.
        let mentor = Phone::login(&app, &s.org.mentor.email);
        mentor.client.sync().unwrap();
        let online = mentor.client.reminders().unwrap();
        assert!(kinds(&online, old).contains(&"touchpoint".to_owned()), "{backend}: {online:#?}");
        let course = online.iter().find(|r| r.kind == "training").unwrap();
        assert_eq!(course.title, format!("Your Safeguarding adults training expires on {}", {
            let d = day(10).date();
            alongside_server::domain::reminders::format_day(d)
        }));
        assert!(!course.overdue && course.mentorship_id.is_none());
        let Phone { client, dir } = mentor;
        drop(client);
        let offline = Client::new(dir.path(), &format!("http://127.0.0.1:{}", free_port())).unwrap();
        assert!(matches!(offline.sync(), Err(sync_core::ClientError::Offline { .. })), "{backend}: no server there");
        assert_eq!(offline.reminders().unwrap(), online, "{backend}: read from the device");
        let later = offline.reminders_on(day(11).date()).unwrap();
        assert!(later.iter().find(|r| r.kind == "training").unwrap().overdue, "{backend}: overdue offline");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_digest_reaches_a_real_smtp_server_with_names_and_counts_only(backend) {
        let app = spawn_app(backend).await;
        let s = seed(&app, "aspen").await;
        // The old pairing's mentee raises a safeguarding concern: the digest
        // heads with it and names its kind, never its words.
        let mentee = Phone::login(&app, &s.org.other_mentee.email);
        mentee.client.sync().unwrap();
        mentee.client.raise_concern(&s.old_pairing, "safeguarding", CONCERN).unwrap();
        assert!(mentee.client.sync().unwrap().rejected.is_empty());
        let smtp = SmtpServer::start();
        server_binary();

        let printed = run_cli(&app.db_url, &["digest", "send", "--dry-run", "--smtp-url", &smtp.url()]);
        assert!(printed.contains("To: Cora Coordinator <coordinator@aspen.example>"), "{printed}");
        assert!(printed.contains("Mo Mentor and Noor Newstarter (Induction)"), "{printed}");
        assert_no_pair_text(&printed);
        std::thread::sleep(Duration::from_millis(500));
        assert!(smtp.messages().is_empty(), "{backend}: --dry-run sends nothing");

        let sent = run_cli(&app.db_url, &["digest", "send", "--smtp-url", &smtp.url()]);
        assert!(sent.contains("sent to 1 coordinators"), "{sent}");
        let messages = smtp.wait_for(1);
        assert_eq!(messages.len(), 1, "{backend}: one coordinator");
        let mail = &messages[0];
        assert!(mail.contains("coordinator@aspen.example"), "{mail}");
        assert!(mail.contains("Subject: Alongside weekly digest for aspen care: 2 of 2 pairings need attention"), "{mail}");
        for line in [
            "Active pairings: 2",
            "Needing attention: 2",
            "  with an overdue touchpoint: 1",
            "  with the agreement unsigned: 1",
            "  with actions past due: 1",
            "  with sessions unsigned for a week: 1",
            "  whose mentor's training expires within 30 days: 2",
            "Mo Mentor and Noor Newstarter (Induction)",
            "  - Day 60 check-in overdue",
            "  - no contact for 50 days (expected every 7 days)",
            "  - 1 action past due",
            "Mo Mentor and Mia Mentee (Induction)",
            "  - mentor's Safeguarding adults training expires on",
            "SAFEGUARDING: 1 open safeguarding concern. See the concerns inbox today.",
            "Concerns not yet closed: 1",
            "  - open concern: safeguarding",
        ] {
            assert!(mail.contains(line), "{backend}: `{line}` missing from {mail}");
        }
        assert_no_pair_text(mail);
        assert!(!mail.contains("Ada Admin"), "{backend}: admins are not coordinators");
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn serve_sends_the_weekly_digest_once_whatever_the_processes(backend) {
        let app = spawn_app(backend).await;
        seed(&app, "hazel").await;
        let smtp = SmtpServer::start();
        let url = smtp.url();
        let fast = |settings: &mut alongside_server::config::Settings| {
            settings.database_url = app.db_url.clone();
            settings.smtp = Some(SmtpSettings {
                url: SecretString::from(url.clone()),
                from: "Alongside <digest@hazel.example>".into(),
            });
            settings.digest = DigestSchedule {
                first_check_after: Duration::from_millis(50),
                check_every: Duration::from_millis(150),
                period: Duration::from_secs(7 * 24 * 60 * 60),
            };
        };
        // Two processes on one database, checking every 150 ms.
        let first = spawn_app_with(backend, fast).await;
        let second = spawn_app_with(backend, fast).await;
        let messages = smtp.wait_for(1);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(smtp.messages().len(), 1, "{backend}: sent once: {messages:?}");
        assert!(messages[0].contains("From: Alongside <digest@hazel.example>"), "{}", messages[0]);
        // A restart within the week sends nothing more.
        drop(first);
        drop(second);
        let _third = spawn_app_with(backend, fast).await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(smtp.messages().len(), 1, "{backend}: still once after a restart");
    }
}

/// How many times phones fetched their reminders, from the server's metrics.
async fn reminder_fetches(app: &TestApp) -> u64 {
    let text = app.get("/metrics", None).await.text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("alongside_http_requests_total{") && l.contains(r#"route="/v1/reminders""#))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sync_fetches_the_reminders_again_only_when_what_they_come_from_changed(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("larch").await;
        let mentor = Phone::login(&app, &org.mentor.email);
        let mentee = Phone::login(&app, &org.mentee.email);
        mentor.client.sync().unwrap();
        mentee.client.sync().unwrap();
        let start = reminder_fetches(&app).await;

        // A session with an action past due: a projection written, so the
        // writer and the partner who receives it both fetch.
        let sid = mentor.client.create_session(&org.mentorship_id, SessionKind::Shadowing, &day(-2).to_string()).unwrap();
        let action =
            mentor.client.add_action(&sid, "Read the policy", &org.mentee.id, Some(&day(-1).to_string())).unwrap();
        mentor.client.sync().unwrap();
        assert_eq!(reminder_fetches(&app).await, start + 1, "{backend}: the writer fetches");
        mentee.client.sync().unwrap();
        assert_eq!(reminder_fetches(&app).await, start + 2, "{backend}: the partner fetches");
        let due = |phone: &Phone| phone.client.reminders().unwrap().iter().any(|r| r.kind == "action");
        assert!(due(&mentee), "{backend}: {:#?}", mentee.client.reminders().unwrap());
        mentor.client.sync().unwrap();
        mentee.client.sync().unwrap();
        let settled = reminder_fetches(&app).await;

        // Notes only: both syncs move the words, neither fetches.
        mentor.client.edit_notes(&sid, 0, 0, "Watched the morning medication round. ").unwrap();
        assert_eq!(mentor.client.sync().unwrap().docs_sent, 1);
        let received = mentee.client.sync().unwrap();
        assert_eq!(received.docs_received, 1, "{backend}: {received:?}");
        assert_eq!(mentee.client.session(&sid).unwrap(), mentor.client.session(&sid).unwrap());
        assert_eq!(reminder_fetches(&app).await, settled, "{backend}: notes do not change reminders");

        // The action done: a projected field, so both fetch and the reminder goes.
        mentee.client.set_action_done(&sid, &action, true).unwrap();
        mentee.client.sync().unwrap();
        mentor.client.sync().unwrap();
        assert_eq!(reminder_fetches(&app).await, settled + 2, "{backend}");
        assert!(!due(&mentee) && !due(&mentor), "{backend}: {:#?}", mentor.client.reminders().unwrap());
    }
}
