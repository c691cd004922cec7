//! The `alongside` command line. Every option can also come from an
//! `ALONGSIDE_*` environment variable; commands that create something print its
//! id on stdout (and nothing else there), so scripts can capture it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};

use crate::config::{DEFAULT_BIND, DEFAULT_DATA_DIR, DEFAULT_DATABASE_URL, Settings};
use crate::db::{self, DbError, people};
use crate::demo::DemoError;
use crate::domain::mentorships::{self as mentorship_ops, NewMentorship};
use crate::domain::people::NewPerson;
use crate::domain::{self, Actor, DomainError, Email, Role};
use crate::error::cause_chain;
use crate::model::{Day, DeviceId, LeavingReason, OrgId};
use crate::{Application, StartError, demo, telemetry};

#[derive(Debug, Parser)]
#[command(name = "alongside", version, about = "Alongside: offline-first peer mentoring for health and social care")]
pub struct Cli {
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, global = true, env = "ALONGSIDE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Directory for server-generated files (the JWT secret).
    #[arg(long, global = true, env = "ALONGSIDE_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Manage organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage people.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Pair a mentor with a mentee; prints the mentorship id.
    Pair(PairArgs),
    /// Manage devices.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// Seed the demo organisation (idempotent) and print its logins.
    Demo,
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Subject access requests.
    Sar {
        #[command(subcommand)]
        command: SarCommand,
    },
    /// Apply the organisations' retention periods.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// The coordinators' weekly digest.
    Digest {
        #[command(subcommand)]
        command: DigestCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DigestCommand {
    /// Send every organisation's digest to its coordinators now (and count it
    /// as this week's), or with `--dry-run` print what would be sent.
    Send {
        /// Print the digests instead of sending them.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        smtp: SmtpArgs,
    },
}

/// Where the digest goes out (`serve` and `digest send`).
#[derive(Debug, Clone, Args)]
pub struct SmtpArgs {
    /// The mail server: `smtp://HOST:PORT`, `smtp://HOST:PORT?tls=required`
    /// (STARTTLS) or `smtps://USER:PASSWORD@HOST:PORT`. Unset: no digest. Prefer the
    /// environment variable: the URL may carry a password.
    #[arg(long, env = "ALONGSIDE_SMTP_URL", hide_env_values = true, value_parser = secret_arg)]
    pub smtp_url: Option<SecretString>,
    /// The digest's sender.
    #[arg(long, env = "ALONGSIDE_SMTP_FROM", default_value = crate::config::DEFAULT_SMTP_FROM)]
    pub smtp_from: String,
}

impl SmtpArgs {
    fn settings(&self) -> Option<crate::config::SmtpSettings> {
        let url = self.smtp_url.clone().filter(|url| !url.expose_secret().trim().is_empty())?;
        Some(crate::config::SmtpSettings { url, from: self.smtp_from.clone() })
    }
}

fn secret_arg(text: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(text.to_owned()))
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check an organisation's hash chain; reports the first broken link and
    /// exits with 1 when there is one.
    Verify {
        #[arg(long, env = "ALONGSIDE_ORG")]
        org: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SarCommand {
    /// Write everything held about a person into a ZIP (data.json, index.html,
    /// review.txt); prints the person's id.
    Export {
        /// The person's email.
        #[arg(long)]
        person: String,
        /// Organisation id: needed when the email has accounts in several.
        #[arg(long, env = "ALONGSIDE_ORG")]
        org: Option<String>,
        /// The ZIP file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Erase what is past its retention period in every organisation, and print
    /// the counts per organisation.
    Run {
        /// Count what would go, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "ALONGSIDE_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
    /// HS256 secret for access tokens (at least 32 bytes). Prefer the environment
    /// variable; when unset, one is generated and kept in `<data dir>/jwt-secret`.
    #[arg(long, env = "ALONGSIDE_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "ALONGSIDE_WORKERS")]
    pub workers: Option<usize>,
    /// Database connections in the pool.
    #[arg(long, env = "ALONGSIDE_DB_POOL_SIZE", default_value_t = 8)]
    pub db_pool_size: u32,
    /// Memory for hot documents, in MiB (estimated from each document's size).
    #[arg(long, env = "ALONGSIDE_DOC_CACHE_MB", default_value_t = crate::sync::DEFAULT_CACHE_MB)]
    pub doc_cache_mb: u64,
    /// Seed the demo organisation if it is missing and print its logins first.
    #[arg(long, env = "ALONGSIDE_WITH_DEMO")]
    pub with_demo: bool,
    /// Who may read `/metrics`: `off` (404), `public`, `token:SECRET` (a bearer
    /// token of at least 16 characters), or `listen:ADDR` (only on that separate
    /// address, e.g. `listen:127.0.0.1:9091`).
    #[arg(long, env = "ALONGSIDE_METRICS", default_value = "off", hide_env_values = true)]
    pub metrics: crate::config::MetricsAccess,
    /// The weekly digest's mail server (off when unset).
    #[command(flatten)]
    pub smtp: SmtpArgs,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organisation; prints its id.
    Create {
        #[arg(long, env = "ALONGSIDE_ORG_NAME")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person to an organisation; prints their id.
    Add(UserAddArgs),
    /// Issue a one-time password reset code for a person (valid 24 hours,
    /// usable once, redeemed with `POST /v1/auth/password/reset`); prints the code.
    ResetPassword {
        #[arg(long, env = "ALONGSIDE_USER_EMAIL")]
        email: String,
        /// Organisation id: needed when the email has accounts in several.
        #[arg(long, env = "ALONGSIDE_ORG")]
        org: Option<String>,
    },
    /// Deactivate a leaver, recording the day they left and why: their devices
    /// are revoked (phones wipe on the next sync). Prints their id.
    Deactivate(UserDeactivateArgs),
    /// Reactivate someone deactivated (their departure is forgotten; the audit
    /// trail keeps it). Prints their id.
    Reactivate {
        #[arg(long, env = "ALONGSIDE_USER_EMAIL")]
        email: String,
        /// Organisation id: needed when the email has accounts in several.
        #[arg(long, env = "ALONGSIDE_ORG")]
        org: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct UserDeactivateArgs {
    #[arg(long, env = "ALONGSIDE_USER_EMAIL")]
    pub email: String,
    /// Organisation id: needed when the email has accounts in several.
    #[arg(long, env = "ALONGSIDE_ORG")]
    pub org: Option<String>,
    /// The day they left, YYYY-MM-DD (default today).
    #[arg(long, value_parser = parse_date_arg)]
    pub left_on: Option<Day>,
    /// resigned, dismissed, end_of_contract, retired or other.
    #[arg(long, value_parser = parse_leaving_reason)]
    pub reason: LeavingReason,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// Organisation id.
    #[arg(long, env = "ALONGSIDE_ORG")]
    pub org: String,
    #[arg(long, env = "ALONGSIDE_USER_EMAIL")]
    pub email: String,
    /// Display name.
    #[arg(long, env = "ALONGSIDE_USER_NAME")]
    pub name: String,
    /// One or more of mentee, mentor, coordinator, admin, comma-separated.
    #[arg(long = "role", env = "ALONGSIDE_USER_ROLES", value_delimiter = ',', required = true)]
    pub roles: Vec<Role>,
    /// Initial password (at least 12 characters, not easy to guess). Prefer the environment variable
    /// to keep it out of shell history.
    #[arg(long, env = "ALONGSIDE_USER_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// The day they started in post, YYYY-MM-DD (default: today, the day the account is made).
    #[arg(long, env = "ALONGSIDE_USER_START", value_parser = parse_date_arg)]
    pub start: Option<Day>,
}

#[derive(Debug, Args)]
pub struct PairArgs {
    /// Organisation id.
    #[arg(long, env = "ALONGSIDE_ORG")]
    pub org: String,
    /// The mentor's email.
    #[arg(long, env = "ALONGSIDE_MENTOR")]
    pub mentor: String,
    /// The mentee's email.
    #[arg(long, env = "ALONGSIDE_MENTEE")]
    pub mentee: String,
    /// Start date, YYYY-MM-DD (default today).
    #[arg(long, env = "ALONGSIDE_START", value_parser = parse_date_arg)]
    pub start: Option<Day>,
    /// The programme, by name or id (default: the organisation's first).
    #[arg(long, env = "ALONGSIDE_PROGRAMME")]
    pub programme: Option<String>,
    /// Pair a mentor who is not approved for the programme anyway, saying why
    /// (recorded in the audit trail).
    #[arg(long)]
    pub override_reason: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Revoke a device: its tokens stop working within a second. Prints the device id.
    Revoke {
        #[arg(long, env = "ALONGSIDE_DEVICE")]
        device: String,
    },
}

fn parse_leaving_reason(text: &str) -> Result<LeavingReason, String> {
    text.trim().parse().map_err(|_| {
        let known: Vec<&str> = LeavingReason::ALL.iter().map(|r| r.as_str()).collect();
        format!("`{text}` is not a leaving reason (one of {})", known.join(", "))
    })
}

fn parse_date_arg(text: &str) -> Result<Day, String> {
    text.parse().map_err(|_| format!("`{text}` is not a date written YYYY-MM-DD"))
}

/// Why a command failed. Printed with its causes on one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    #[error("the server stopped with an error")]
    Serve(#[source] std::io::Error),
    #[error(transparent)]
    SubjectAccess(#[from] domain::subject_access::SubjectAccessError),
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no mail server: set ALONGSIDE_SMTP_URL (or pass --dry-run to print the digest)")]
    NoSmtp,
    #[error(transparent)]
    Mail(#[from] crate::digest_mail::MailError),
    #[error("the audit chain is broken at event {seq} ({event_id}): {problem}")]
    AuditBroken { seq: i64, event_id: String, problem: &'static str },
}

impl From<diesel::result::Error> for CliError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(error.into())
    }
}

/// An id given on the command line; one that is not a uuid names nothing, as
/// an unknown one does.
pub(crate) fn id_arg<T: std::str::FromStr>(text: &str, what: &'static str) -> Result<T, DomainError> {
    text.parse().map_err(|_| DomainError::not_found(what))
}

/// Parses the command line, runs the command and maps failure to exit code 1
/// (clap itself exits with 2 on bad usage).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = !matches!(cli.command, Command::Serve(_));
    telemetry::init(if quiet { "warn" } else { "info,actix_server=warn" });
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", cause_chain(&error));
            ExitCode::FAILURE
        }
    }
}

/// Runs one parsed command.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let Cli { database_url, data_dir, command } = cli;
    match command {
        Command::Serve(args) => {
            let runtime =
                tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(CliError::Runtime)?;
            runtime.block_on(serve(database_url, data_dir, args))
        }
        command => {
            let mut conn = db::connect_one(&database_url)?;
            let applied = db::run_migrations(&mut conn)?;
            if let Command::Migrate = command {
                let mut out = std::io::stdout().lock();
                for version in &applied {
                    print_line(&mut out, &format!("applied {version}"));
                }
                return Ok(());
            }
            run_offline(&mut conn, command)
        }
    }
}

fn run_offline(conn: &mut db::DbConnection, command: Command) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match command {
        Command::Serve(_) | Command::Migrate => {}
        Command::Org { command: OrgCommand::Create { name } } => {
            let org = domain::organisations::create(conn, &name)?;
            print_line(&mut out, &org.id.to_string());
        }
        Command::User { command: UserCommand::Add(args) } => {
            let org: OrgId = id_arg(&args.org, "organisation")?;
            let person = domain::people::create(
                conn,
                org,
                &Actor::system(),
                &NewPerson {
                    email: args.email,
                    display_name: args.name,
                    roles: args.roles,
                    password: args.password,
                    line_manager_id: None,
                    site_id: None,
                    start_date: args.start.map(|day| day.to_string()),
                },
            )?;
            print_line(&mut out, &person.id.to_string());
        }
        Command::User { command: UserCommand::Deactivate(args) } => {
            let email = Email::parse(&args.email)?;
            let org: Option<OrgId> = args.org.as_deref().map(|org| id_arg(org, "organisation")).transpose()?;
            let person = domain::people::find_one_by_email(conn, &email, org)?;
            let update = domain::people::PersonUpdate {
                active: Some(false),
                left_on: args.left_on.map(|day| day.to_string()),
                leaving_reason: Some(args.reason),
                ..Default::default()
            };
            let person = domain::people::update(conn, person.org_id, &Actor::system(), person.id, &update)?;
            print_line(&mut out, &person.id.to_string());
        }
        Command::User { command: UserCommand::Reactivate { email, org } } => {
            let email = Email::parse(&email)?;
            let org: Option<OrgId> = org.as_deref().map(|org| id_arg(org, "organisation")).transpose()?;
            let person = domain::people::find_one_by_email(conn, &email, org)?;
            let update = domain::people::PersonUpdate { active: Some(true), ..Default::default() };
            let person = domain::people::update(conn, person.org_id, &Actor::system(), person.id, &update)?;
            print_line(&mut out, &person.id.to_string());
        }
        Command::User { command: UserCommand::ResetPassword { email, org } } => {
            let email = Email::parse(&email)?;
            let org: Option<OrgId> = org.as_deref().map(|org| id_arg(org, "organisation")).transpose()?;
            let person = domain::people::find_one_by_email(conn, &email, org)?;
            let issued = domain::passwords::issue_reset(conn, person.org_id, &Actor::system(), person.id)?;
            print_line(&mut out, &issued.code);
        }
        Command::Pair(args) => {
            let org: OrgId = id_arg(&args.org, "organisation")?;
            let mentor = find_person(conn, org, &args.mentor, "mentor")?;
            let mentee = find_person(conn, org, &args.mentee, "mentee")?;
            let programme_id = match args.programme.as_deref() {
                Some(text) => Some(domain::programmes::find_by_name_or_id(conn, org, text)?.id),
                None => None,
            };
            let (mentorship, warnings) = mentorship_ops::create_with_override(
                conn,
                org,
                &Actor::system(),
                &NewMentorship {
                    mentor_id: mentor.id,
                    mentee_id: mentee.id,
                    started_on: args.start,
                    site_id: None,
                    programme_id,
                },
                args.override_reason.as_deref(),
            )?;
            for warning in warnings {
                eprintln!("warning: {}", warning.message);
            }
            print_line(&mut out, &mentorship.id.to_string());
        }
        Command::Device { command: DeviceCommand::Revoke { device } } => {
            let id: DeviceId = id_arg(&device, "device")?;
            let found = db::devices::find_by_id(conn, id)?.ok_or(DomainError::not_found("device"))?;
            let revoked = domain::devices::revoke(conn, &found, &Actor::system())?;
            print_line(&mut out, &revoked.id.to_string());
        }
        Command::Demo => {
            let logins = demo::seed(conn)?;
            demo::print(&logins, &mut out);
        }
        Command::Audit { command } => crate::governance_cli::audit(conn, command, &mut out)?,
        Command::Sar { command } => crate::governance_cli::sar(conn, command, &mut out)?,
        Command::Retention { command } => crate::governance_cli::retention(conn, command, &mut out)?,
        Command::Digest { command: DigestCommand::Send { dry_run, smtp } } => {
            digest_send(conn, dry_run, smtp.settings(), &mut out)?
        }
    }
    Ok(())
}

/// A person of `org_id` by email; not found when absent or in another
/// organisation.
fn find_person(
    conn: &mut db::DbConnection,
    org_id: OrgId,
    email: &str,
    what: &'static str,
) -> Result<people::Person, DomainError> {
    let email = Email::parse(email)?;
    people::find_by_email(conn, org_id, email.as_str())?.ok_or(DomainError::not_found(what))
}

pub(crate) fn print_line(out: &mut impl Write, text: &str) {
    // A closed stdout (e.g. piped into `head`) is not worth failing the command.
    let _ = writeln!(out, "{text}");
}

async fn serve(database_url: String, data_dir: PathBuf, args: ServeArgs) -> Result<(), CliError> {
    let settings = Settings {
        bind: args.bind,
        database_url,
        data_dir,
        jwt_secret: args.jwt_secret.map(SecretString::from),
        workers: args.workers,
        db_pool_size: args.db_pool_size,
        doc_cache_mb: args.doc_cache_mb,
        metrics: args.metrics,
        smtp: args.smtp.settings(),
        ..Settings::default()
    };
    let app = Application::build(settings).await?;
    if args.with_demo {
        let db = app.state().db.clone();
        let logins = db.run(demo::seed).await?;
        demo::print(&logins, &mut std::io::stdout().lock());
    }
    let address = app.state().settings.bind.clone();
    let host = address.rsplit_once(':').map_or(address.as_str(), |(host, _)| host);
    println!("Listening on http://{host}:{}", app.port());
    app.run_until_stopped().await.map_err(CliError::Serve)
}

/// `alongside digest send [--dry-run]`: per organisation with a coordinator,
/// prints the digest (dry run) or sends it and records the send, so `serve`
/// does not send another within the week.
fn digest_send(
    conn: &mut db::DbConnection,
    dry_run: bool,
    smtp: Option<crate::config::SmtpSettings>,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let today = Day::today().date();
    let mailer = match (dry_run, smtp) {
        (true, _) => None,
        (false, Some(smtp)) => Some(crate::digest_mail::Mailer::new(&smtp)?),
        (false, None) => return Err(CliError::NoSmtp),
    };
    for digest in domain::digest::compose_all(conn, today)? {
        match &mailer {
            None => {
                let to: Vec<String> = digest.recipients.iter().map(|r| format!("{} <{}>", r.name, r.email)).collect();
                print_line(out, &format!("To: {}", to.join(", ")));
                print_line(out, &format!("Subject: {}", digest.subject()));
                print_line(out, "");
                print_line(out, &digest.text());
            }
            Some(mailer) => {
                let messages = mailer.send(&digest)?;
                db::reminders::record_send(conn, digest.org_id, crate::model::Timestamp::now())?;
                print_line(out, &format!("{}: sent to {messages} coordinators", digest.org_id));
            }
        }
    }
    Ok(())
}
