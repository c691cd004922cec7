//! Sending the coordinators' digest ([`crate::domain::digest`]) by email, and
//! the weekly task inside `alongside serve`.
//!
//! - lettre's blocking SMTP transport, built from `ALONGSIDE_SMTP_URL`
//!   (`smtp://`, `smtp://...?tls=required`, `smtps://`; TLS by rustls). It runs
//!   on a blocking thread.
//! - One message per coordinator, plain text.
//! - The URL may hold a password: it is kept as a secret, and neither it nor
//!   lettre's parse error (which never quotes it) is printed beyond "cannot be
//!   used".
//! - Once a week per organisation: a process sends only after moving the
//!   organisation's `digest_sends.last_sent_at` from the value it read to now
//!   (`db::reminders::claim_send`), so of several processes, or a process and
//!   its restart, one sends. A failed send gives the claim back; a process
//!   killed between the claim and the send skips that week.

use std::sync::Arc;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{SmtpTransport, Transport};
use secrecy::ExposeSecret;

use crate::config::{DigestSchedule, SmtpSettings};
use crate::db::{Db, reminders as sends};
use crate::domain::DomainError;
use crate::domain::digest::{self, Digest};
use crate::model::{Day, Timestamp};

/// Why a digest could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(
        "ALONGSIDE_SMTP_URL cannot be used (expected smtp://HOST:PORT, smtp://HOST:PORT?tls=required or smtps://USER:PASSWORD@HOST:PORT)"
    )]
    Url,
    #[error("the sender `{0}` is not an email address (ALONGSIDE_SMTP_FROM)")]
    From(String),
    #[error("cannot write the message to {0}")]
    Build(String, #[source] lettre::error::Error),
    #[error("the mail server refused or could not be reached")]
    Send(#[from] lettre::transport::smtp::Error),
}

/// An SMTP connection's settings and the sender.
#[derive(Clone)]
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn new(settings: &SmtpSettings) -> Result<Self, MailError> {
        let transport = SmtpTransport::from_url(settings.url.expose_secret())
            .map_err(|_| MailError::Url)?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from = settings.from.parse().map_err(|_| MailError::From(settings.from.clone()))?;
        Ok(Self { transport, from })
    }

    /// Sends the digest to each of its recipients; how many messages went.
    /// Blocking.
    pub fn send(&self, digest: &Digest) -> Result<usize, MailError> {
        let subject = digest.subject();
        let body = digest.text();
        let mut sent = 0;
        for recipient in &digest.recipients {
            let Ok(address) = recipient.email.parse() else {
                tracing::warn!(org_id = %digest.org_id, "a coordinator's email cannot be mailed; skipped");
                continue;
            };
            let message = Message::builder()
                .from(self.from.clone())
                .to(Mailbox::new(Some(recipient.name.clone()), address))
                .subject(subject.clone())
                .header(ContentType::TEXT_PLAIN)
                .body(body.clone())
                .map_err(|e| MailError::Build(recipient.email.clone(), e))?;
            self.transport.send(&message)?;
            sent += 1;
        }
        Ok(sent)
    }
}

/// Why the weekly run failed.
#[derive(Debug, thiserror::Error)]
pub enum DigestRunError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("the sending thread stopped")]
    Join(#[from] tokio::task::JoinError),
}

/// Spawns the weekly digest on the current runtime (only when SMTP is
/// configured); it ends with the runtime.
pub fn spawn(db: Db, smtp: &SmtpSettings, schedule: DigestSchedule) {
    let mailer = match Mailer::new(smtp) {
        Ok(mailer) => Arc::new(mailer),
        Err(error) => {
            tracing::error!(error = %crate::error::cause_chain(&error), "the weekly digest is off");
            return;
        }
    };
    tokio::spawn(async move {
        tokio::time::sleep(schedule.first_check_after).await;
        loop {
            match send_due(&db, &mailer, schedule).await {
                Ok(0) => {}
                Ok(organisations) => tracing::info!(organisations, "weekly digest sent"),
                Err(error) => tracing::error!(error = %crate::error::cause_chain(&error), "weekly digest failed"),
            }
            tokio::time::sleep(schedule.check_every).await;
        }
    });
}

/// Sends every organisation's digest that is due (none sent within
/// `schedule.period`); how many organisations' went.
pub async fn send_due(db: &Db, mailer: &Arc<Mailer>, schedule: DigestSchedule) -> Result<usize, DigestRunError> {
    let org_ids = db.run(|conn| Ok::<_, DomainError>(crate::db::governance::find_org_ids(conn)?)).await?;
    let mut sent = 0;
    for org_id in org_ids {
        let now = Timestamp::now();
        let due_before = now - schedule.period;
        let today = Day::today().date();
        // Claim the week before composing, so only one process does the work.
        let claimed = db
            .run(move |conn| -> Result<Option<(Option<Timestamp>, Digest)>, DomainError> {
                let previous = sends::find_last_sent(conn, org_id)?;
                if previous.is_some_and(|at| at > due_before) {
                    return Ok(None);
                }
                let Some(digest) = digest::compose(conn, org_id, today)? else { return Ok(None) };
                Ok(sends::claim_send(conn, org_id, previous, now)?.then_some((previous, digest)))
            })
            .await?;
        let Some((previous, digest)) = claimed else { continue };
        let sender = mailer.clone();
        let outcome = match tokio::task::spawn_blocking(move || sender.send(&digest)).await {
            Ok(result) => result.map_err(DigestRunError::from),
            Err(error) => Err(error.into()),
        };
        match outcome {
            Ok(messages) => {
                tracing::info!(%org_id, messages, "digest sent");
                sent += 1;
            }
            Err(error) => {
                db.run(move |conn| Ok::<_, DomainError>(sends::release_send(conn, org_id, now, previous)?)).await?;
                return Err(error);
            }
        }
    }
    Ok(sent)
}
