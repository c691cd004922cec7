//! The client: sign-in, the local editing API and the sync engine, as a phone app
//! uses them. Blocking I/O; the mobile bindings run it off the UI thread.
//!
//! All state sits behind one mutex, so a [`Client`] can be shared between threads.
//! A sync holds the lock for its round trips: edits made meanwhile wait for it.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use automerge::sync;
use automerge::{ActorId, Change, ObjType, ROOT, ReadDoc, Value};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::document::{Document, DocumentError};
use crate::goal_plan::{Goal, GoalCategory, GoalStatus};
use crate::ids::{DocHeader, DocKind, DocRole, DocumentId, MentorshipId, Pair, UserId};
use crate::journal::{Reflection, ReflectionInput};
use crate::protocol::{self, DocOffer, DocReply, SyncRequest};
use crate::replica::{Replica, ReplicaError};
use crate::rules;
use crate::session::{SessionKind, SessionView};
use crate::store::{StoreError, StoredRejection};

/// More round trips than this in one sync means something is wrong; stop and
/// report what converged.
const MAX_ROUND_TRIPS: u32 = 10;

const CURRENT_ACCOUNT_FILE: &str = "current-account";
/// Which person's store an email signed in to, so signing in again can keep the
/// device (and its actor): `{"email": "user id"}`.
const ACCOUNTS_FILE: &str = "accounts.json";
const ACCOUNT: &str = "account";
const ACCESS_TOKEN: &str = "access_token";
const REFRESH_TOKEN: &str = "refresh_token";
const MENTORSHIPS: &str = "mentorships";

/// Everything that can go wrong, in the terms an app acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server cannot be reached. Local edits are kept and sync later.
    #[error("offline: {message}")]
    Offline {
        /// What failed.
        message: String,
    },
    /// Wrong credentials, or the session expired: sign in again.
    #[error("unauthorized: {message}")]
    Unauthorized {
        /// What the server said.
        message: String,
    },
    /// This device was revoked; its local data has been wiped.
    #[error("device revoked: {message}")]
    Revoked {
        /// What the server said.
        message: String,
    },
    /// The write rules or the server refuse this.
    #[error("forbidden: {message}")]
    Forbidden {
        /// Why.
        message: String,
    },
    /// No such thing (or not visible to this person).
    #[error("not found: {message}")]
    NotFound {
        /// What.
        message: String,
    },
    /// The input is not acceptable, or the server's answer made no sense.
    #[error("invalid: {message}")]
    Invalid {
        /// Why.
        message: String,
    },
    /// The local store failed or is damaged.
    #[error("storage: {message}")]
    Storage {
        /// What failed.
        message: String,
    },
    /// The server failed; try again later. Local edits are kept.
    #[error("server error: {message}")]
    Server {
        /// What the server said.
        message: String,
    },
}

impl From<ReplicaError> for ClientError {
    fn from(error: ReplicaError) -> Self {
        match error {
            ReplicaError::Document(e) => e.into(),
            ReplicaError::NotFound(id) => ClientError::NotFound { message: format!("document {id}") },
            ReplicaError::Store(e) => e.into(),
            e @ ReplicaError::Unloadable { .. } => ClientError::Storage { message: e.to_string() },
        }
    }
}

impl From<DocumentError> for ClientError {
    fn from(error: DocumentError) -> Self {
        let message = error.to_string();
        match error {
            DocumentError::Forbidden(_) => ClientError::Forbidden { message },
            DocumentError::NotFound(_) => ClientError::NotFound { message },
            DocumentError::Invalid(_) | DocumentError::WrongKind { .. } => ClientError::Invalid { message },
            DocumentError::Schema { .. }
            | DocumentError::NewerSchema { .. }
            | DocumentError::Automerge(_)
            | DocumentError::AutomergePanic { .. } => ClientError::Storage { message },
        }
    }
}

impl From<StoreError> for ClientError {
    fn from(error: StoreError) -> Self {
        ClientError::Storage { message: error.to_string() }
    }
}

fn invalid(message: impl Into<String>) -> ClientError {
    ClientError::Invalid { message: message.into() }
}

/// The signed-in person on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The person.
    pub user_id: String,
    /// Their organisation.
    pub org_id: String,
    /// Their name as shown.
    pub display_name: String,
    /// `mentee`, `mentor`, `coordinator`, `admin`.
    pub roles: Vec<String>,
    /// This device's id.
    pub device_id: String,
    /// This device's Automerge actor id (hex), issued by the server.
    pub actor_id: String,
}

/// A pairing the signed-in person belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mentorship {
    /// The mentorship.
    pub id: String,
    /// The mentor.
    pub mentor_id: String,
    /// The mentor's name.
    pub mentor_name: String,
    /// The mentee.
    pub mentee_id: String,
    /// The mentee's name.
    pub mentee_name: String,
    /// `proposed`, `active`, `paused`, `completed` or `ended`.
    pub status: String,
    /// When it started (`YYYY-MM-DD`).
    pub started_on: Option<String>,
}

impl Mentorship {
    fn pair(&self) -> Result<Pair, ClientError> {
        let bad = |e: crate::ids::InvalidId| invalid(format!("mentorship record: {e}"));
        Ok(Pair {
            mentorship_id: self.id.parse().map_err(bad)?,
            mentor_id: self.mentor_id.parse().map_err(bad)?,
            mentee_id: self.mentee_id.parse().map_err(bad)?,
        })
    }
}

/// A change the server refused, with the text the user had written, kept for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The document.
    pub document_id: String,
    /// Where the write was.
    pub path: String,
    /// Why it was refused.
    pub reason: String,
    /// What the user had written there.
    pub kept_text: String,
}

impl From<StoredRejection> for Rejection {
    fn from(r: StoredRejection) -> Self {
        Self { document_id: r.document_id, path: r.path, reason: r.reason, kept_text: r.kept_text }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// HTTP round trips made.
    pub round_trips: u32,
    /// Documents whose local changes were sent.
    pub docs_sent: u32,
    /// Documents that received changes or arrived whole.
    pub docs_received: u32,
    /// Request bytes.
    pub bytes_sent: u64,
    /// Response bytes.
    pub bytes_received: u64,
    /// Changes refused in this sync.
    pub rejected: Vec<Rejection>,
    /// Documents deleted from this device in this sync.
    pub purged: Vec<String>,
}

/// Progress of a sync, for a progress bar.
pub trait SyncProgress {
    /// Called after each round trip with the running totals.
    fn progress(&self, docs_sent: u32, docs_received: u32);
}

/// Whether signing out deletes this person's data from the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOut {
    /// Keep documents for the next sign-in (unsynced edits are kept too).
    KeepData,
    /// Delete everything this person has on the device.
    WipeData,
}

struct SignedIn {
    account: Account,
    replica: Replica,
}

/// A phone's view of Alongside.
pub struct Client {
    data_dir: PathBuf,
    server_url: String,
    agent: ureq::Agent,
    signed_in: Mutex<Option<SignedIn>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("data_dir", &self.data_dir).field("server_url", &self.server_url).finish()
    }
}

#[derive(Deserialize)]
struct LoginResponse {
    access_token: String,
    refresh_token: String,
    user: LoginUser,
    device: LoginDevice,
}

#[derive(Deserialize)]
struct LoginUser {
    id: String,
    org_id: String,
    display_name: String,
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct LoginDevice {
    id: String,
    actor_id: String,
}

#[derive(Deserialize)]
struct TokenPair {
    access_token: String,
    refresh_token: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MentorshipList {
    Bare(Vec<Mentorship>),
    Wrapped { mentorships: Vec<Mentorship> },
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    message: String,
}

impl Client {
    /// A client keeping its data under `data_dir`, talking to `server_url`. Opens
    /// the account that was signed in last, if any, so the app works offline.
    pub fn new(data_dir: &FsPath, server_url: &str) -> Result<Self, ClientError> {
        std::fs::create_dir_all(data_dir).map_err(|e| ClientError::Storage { message: e.to_string() })?;
        let agent =
            ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(10)).timeout(Duration::from_secs(60)).build();
        let client = Self {
            data_dir: data_dir.to_owned(),
            server_url: server_url.trim_end_matches('/').to_owned(),
            agent,
            signed_in: Mutex::new(None),
        };
        if let Ok(user) = std::fs::read_to_string(data_dir.join(CURRENT_ACCOUNT_FILE)) {
            let user: UserId = user.parse().map_err(|e: crate::ids::InvalidId| invalid(e.to_string()))?;
            let mut replica = Replica::open(&client.store_path(user), user, ActorId::random())?;
            if let Some(account) = replica.store().setting(ACCOUNT)? {
                let account: Account = serde_json::from_str(&account).map_err(|e| invalid(e.to_string()))?;
                replica = Replica::with_store(replica.into_store(), user, actor_from_hex(&account.actor_id)?);
                *client.lock() = Some(SignedIn { account, replica });
            }
        }
        Ok(client)
    }

    fn lock(&self) -> MutexGuard<'_, Option<SignedIn>> {
        // A panic while holding the lock leaves plain data behind; carry on with it.
        self.signed_in.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn store_path(&self, user: UserId) -> PathBuf {
        self.data_dir.join(format!("{user}.sqlite3"))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server_url)
    }

    /// The device this phone was last signed in as for `email`, read from that
    /// person's store; `None` when there is none or it cannot be read.
    fn previous_device(&self, email: &str) -> Option<String> {
        let index: HashMap<String, String> =
            serde_json::from_slice(&std::fs::read(self.data_dir.join(ACCOUNTS_FILE)).ok()?).ok()?;
        let user: UserId = index.get(&email_key(email))?.parse().ok()?;
        let path = self.store_path(user);
        if !path.exists() {
            return None;
        }
        let store = crate::store::Store::open(&path).ok()?;
        let account: Account = serde_json::from_str(&store.setting(ACCOUNT).ok()??).ok()?;
        Some(account.device_id)
    }

    /// Notes which store `email` signs in to (best effort: without it, the next
    /// sign-in registers a new device).
    fn remember_account(&self, email: &str, user: UserId) {
        let path = self.data_dir.join(ACCOUNTS_FILE);
        let mut index: HashMap<String, String> =
            std::fs::read(&path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default();
        index.insert(email_key(email), user.to_string());
        let written = serde_json::to_vec(&index).map_err(std::io::Error::other).and_then(|bytes| {
            let temporary = path.with_extension("json.tmp");
            std::fs::write(&temporary, bytes)?;
            std::fs::rename(&temporary, &path)
        });
        if let Err(error) = written {
            tracing::warn!(%error, "could not remember which store this account uses");
        }
    }

    /// Sign in; registers this device with the server, or keeps the device this
    /// phone was signed in as before for the same person (so changes made before
    /// a forced sign-in, not yet synced, still carry the device's own actor).
    pub fn login(&self, email: &str, password: &str, device_name: &str) -> Result<Account, ClientError> {
        let mut body = serde_json::json!({ "email": email, "password": password, "device_name": device_name });
        if let Some(device_id) = self.previous_device(email) {
            body["device_id"] = serde_json::Value::String(device_id);
        }
        let response = send(self.agent.post(&self.url("/v1/auth/login")), Body::Json(&body))?;
        let login: LoginResponse = read_json(response)?;
        let user: UserId = login.user.id.parse().map_err(|e: crate::ids::InvalidId| invalid(e.to_string()))?;
        let account = Account {
            user_id: login.user.id,
            org_id: login.user.org_id,
            display_name: login.user.display_name,
            roles: login.user.roles,
            device_id: login.device.id,
            actor_id: login.device.actor_id,
        };
        let mut replica = Replica::open(&self.store_path(user), user, actor_from_hex(&account.actor_id)?)?;
        let store = replica.store_mut();
        store.set_setting(ACCOUNT, Some(&serde_json::to_string(&account).map_err(|e| invalid(e.to_string()))?))?;
        store.set_setting(ACCESS_TOKEN, Some(&login.access_token))?;
        store.set_setting(REFRESH_TOKEN, Some(&login.refresh_token))?;
        std::fs::write(self.data_dir.join(CURRENT_ACCOUNT_FILE), user.to_string())
            .map_err(|e| ClientError::Storage { message: e.to_string() })?;
        self.remember_account(email, user);
        let mut guard = self.lock();
        let signed_in = guard.insert(SignedIn { account: account.clone(), replica });
        // Cache the pairings now, while online, so sessions can be created offline.
        if let Err(error) = self.fetch_mentorships(signed_in) {
            tracing::warn!(%error, "could not fetch mentorships after sign-in");
        }
        Ok(account)
    }

    /// The signed-in account, if any.
    pub fn account(&self) -> Option<Account> {
        self.lock().as_ref().map(|s| s.account.clone())
    }

    /// Sign out. With [`SignOut::WipeData`] everything this person has on the
    /// device is deleted.
    pub fn logout(&self, mode: SignOut) -> Result<(), ClientError> {
        let mut guard = self.lock();
        let Some(mut signed_in) = guard.take() else { return Ok(()) };
        let token = signed_in.replica.store().setting(ACCESS_TOKEN)?.unwrap_or_default();
        // Best effort: an offline phone still signs out locally.
        let _ = send(
            self.agent.post(&self.url("/v1/auth/logout")).set("Authorization", &format!("Bearer {token}")),
            Body::Empty,
        );
        let _ = std::fs::remove_file(self.data_dir.join(CURRENT_ACCOUNT_FILE));
        match mode {
            SignOut::KeepData => {
                let store = signed_in.replica.store_mut();
                store.set_setting(ACCESS_TOKEN, None)?;
                store.set_setting(REFRESH_TOKEN, None)?;
            }
            SignOut::WipeData => wipe(&mut signed_in)?,
        }
        Ok(())
    }

    fn with_signed_in<R>(&self, f: impl FnOnce(&mut SignedIn) -> Result<R, ClientError>) -> Result<R, ClientError> {
        let mut guard = self.lock();
        let signed_in = guard.as_mut().ok_or_else(|| ClientError::Unauthorized { message: "not signed in".into() })?;
        let result = f(signed_in);
        if matches!(result, Err(ClientError::Revoked { .. })) {
            if let Some(mut signed_in) = guard.take() {
                wipe(&mut signed_in)?;
            }
            let _ = std::fs::remove_file(self.data_dir.join(CURRENT_ACCOUNT_FILE));
        }
        result
    }

    /// Run an authenticated request, refreshing the access token once if it expired.
    fn authed<T>(
        &self,
        signed_in: &mut SignedIn,
        request: impl Fn(&str) -> Result<T, ClientError>,
    ) -> Result<T, ClientError> {
        let token = signed_in.replica.store().setting(ACCESS_TOKEN)?.unwrap_or_default();
        match request(&token) {
            Err(ClientError::Unauthorized { .. }) => {
                let token = self.refresh(signed_in)?;
                request(&token)
            }
            other => other,
        }
    }

    fn refresh(&self, signed_in: &mut SignedIn) -> Result<String, ClientError> {
        let refresh_token = signed_in
            .replica
            .store()
            .setting(REFRESH_TOKEN)?
            .ok_or_else(|| ClientError::Unauthorized { message: "signed out; sign in again".into() })?;
        let body = serde_json::json!({ "refresh_token": refresh_token });
        let pair: TokenPair = read_json(send(self.agent.post(&self.url("/v1/auth/refresh")), Body::Json(&body))?)?;
        let store = signed_in.replica.store_mut();
        store.set_setting(ACCESS_TOKEN, Some(&pair.access_token))?;
        store.set_setting(REFRESH_TOKEN, Some(&pair.refresh_token))?;
        Ok(pair.access_token)
    }

    fn fetch_mentorships(&self, signed_in: &mut SignedIn) -> Result<Vec<Mentorship>, ClientError> {
        let list: MentorshipList = self.authed(signed_in, |token| {
            retry_once_if_offline(|| {
                read_json(send(
                    self.agent.get(&self.url("/v1/mentorships")).set("Authorization", &format!("Bearer {token}")),
                    Body::Empty,
                )?)
            })
        })?;
        let list = match list {
            MentorshipList::Bare(list) | MentorshipList::Wrapped { mentorships: list } => list,
        };
        let json = serde_json::to_string(&list).map_err(|e| invalid(e.to_string()))?;
        signed_in.replica.store_mut().set_setting(MENTORSHIPS, Some(&json))?;
        Ok(list)
    }

    fn cached_mentorships(signed_in: &SignedIn) -> Result<Vec<Mentorship>, ClientError> {
        match signed_in.replica.store().setting(MENTORSHIPS)? {
            Some(json) => serde_json::from_str(&json).map_err(|e| ClientError::Storage { message: e.to_string() }),
            None => Ok(Vec::new()),
        }
    }

    /// The signed-in person's pairings: fresh from the server when online, else
    /// as last seen.
    pub fn mentorships(&self) -> Result<Vec<Mentorship>, ClientError> {
        self.with_signed_in(|signed_in| match self.fetch_mentorships(signed_in) {
            Err(ClientError::Offline { .. } | ClientError::Server { .. }) => Self::cached_mentorships(signed_in),
            other => other,
        })
    }

    fn pair_of(signed_in: &SignedIn, mentorship_id: &str) -> Result<Pair, ClientError> {
        Self::cached_mentorships(signed_in)?
            .iter()
            .find(|m| m.id == mentorship_id)
            .ok_or_else(|| ClientError::NotFound {
                message: format!("mentorship {mentorship_id} (sync while online first)"),
            })?
            .pair()
    }

    /// Start a new session of a pairing; returns its id (for the QR code).
    pub fn create_session(&self, mentorship_id: &str, kind: SessionKind, date: &str) -> Result<String, ClientError> {
        let id = DocumentId::new_random();
        self.join_session(&id.to_string(), mentorship_id, kind, date)?;
        Ok(id.to_string())
    }

    /// Open the same session on a second phone (the id scanned from the first
    /// phone's QR code). Works offline; the two phones' notes merge on sync.
    pub fn join_session(
        &self,
        session_id: &str,
        mentorship_id: &str,
        kind: SessionKind,
        date: &str,
    ) -> Result<(), ClientError> {
        let id = parse_doc_id(session_id)?;
        self.with_signed_in(|signed_in| {
            let pair = Self::pair_of(signed_in, mentorship_id)?;
            let header = DocHeader::session(id, pair);
            if signed_in.replica.store().load(id)?.is_none() {
                // Check the rules before creating anything: an outsider gets nothing.
                crate::rules::check_path(
                    &header,
                    signed_in.replica.user(),
                    &crate::rules::Path::keys(["meta", "date"]),
                )
                .map_err(DocumentError::from)?;
            }
            signed_in.replica.ensure(header)?;
            signed_in.replica.edit(id, |doc, me| doc.set_session_basics(me, kind, date))?;
            Ok(())
        })
    }

    /// One session.
    pub fn session(&self, session_id: &str) -> Result<SessionView, ClientError> {
        let id = parse_doc_id(session_id)?;
        self.with_signed_in(|signed_in| Ok(signed_in.replica.read(id, |doc| doc.session_view())?))
    }

    /// Every session of a pairing on this device, by date.
    pub fn sessions(&self, mentorship_id: &str) -> Result<Vec<SessionView>, ClientError> {
        let mentorship: MentorshipId =
            mentorship_id.parse().map_err(|e: crate::ids::InvalidId| invalid(e.to_string()))?;
        self.with_signed_in(|signed_in| {
            let headers = signed_in.replica.store().headers()?;
            let mut views = Vec::new();
            for header in headers {
                if header.kind == DocKind::Session && header.mentorship_id() == Some(mentorship) {
                    views.push(signed_in.replica.read(header.id, |doc| doc.session_view())?);
                }
            }
            views.sort_by(|a, b| (&a.date, &a.id).cmp(&(&b.date, &b.id)));
            Ok(views)
        })
    }

    fn edit_doc<R>(
        &self,
        id: DocumentId,
        edit: impl FnOnce(&mut Document, UserId) -> Result<R, DocumentError>,
    ) -> Result<R, ClientError> {
        self.with_signed_in(|signed_in| Ok(signed_in.replica.edit(id, edit)?))
    }

    /// Splice the shared notes (indexes in UTF-16 code units).
    pub fn edit_notes(&self, session_id: &str, index: u32, delete_count: u32, insert: &str) -> Result<(), ClientError> {
        let id = parse_doc_id(session_id)?;
        self.edit_doc(id, |doc, me| doc.edit_notes(me, index as usize, delete_count as usize, insert))
    }

    /// Replace this author's own account of the shift.
    pub fn set_my_account(&self, session_id: &str, text: &str) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.set_my_account(me, text))
    }

    /// The mentor's feedback (mentor only).
    pub fn set_feedback(&self, session_id: &str, strengths: &str, development: &str) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.set_feedback(me, strengths, development))
    }

    /// The mentee's feedback to the mentor (mentee only).
    pub fn set_mentee_feedback(&self, session_id: &str, working: &str, not_working: &str) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.set_mentee_feedback(me, working, not_working))
    }

    /// Add an agreed action; returns its id.
    pub fn add_action(
        &self,
        session_id: &str,
        text: &str,
        owner_id: &str,
        due: Option<&str>,
    ) -> Result<String, ClientError> {
        let owner: UserId = owner_id.parse().map_err(|e: crate::ids::InvalidId| invalid(e.to_string()))?;
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.add_action(me, text, owner, due))
    }

    /// Sign the session as it is now.
    pub fn sign_off(&self, session_id: &str) -> Result<(), ClientError> {
        self.edit_doc(parse_doc_id(session_id)?, |doc, me| doc.sign_off(me))
    }

    fn ensure_goal_plan(signed_in: &mut SignedIn, mentorship_id: &str) -> Result<DocumentId, ClientError> {
        let header = DocHeader::goal_plan(Self::pair_of(signed_in, mentorship_id)?);
        if header.role_of(signed_in.replica.user()) == DocRole::Outsider {
            return Err(ClientError::Forbidden { message: "only the pair can hold its goal plan".into() });
        }
        signed_in.replica.ensure(header)?;
        Ok(header.id)
    }

    /// Add a goal to a pairing's plan; returns its id.
    pub fn add_goal(
        &self,
        mentorship_id: &str,
        title: &str,
        category: GoalCategory,
        target_date: Option<&str>,
    ) -> Result<String, ClientError> {
        self.with_signed_in(|signed_in| {
            let id = Self::ensure_goal_plan(signed_in, mentorship_id)?;
            Ok(signed_in.replica.edit(id, |doc, me| doc.add_goal(me, title, category, target_date))?)
        })
    }

    /// Move a goal to another status.
    pub fn set_goal_status(&self, mentorship_id: &str, goal_id: &str, status: GoalStatus) -> Result<(), ClientError> {
        self.with_signed_in(|signed_in| {
            let id = Self::ensure_goal_plan(signed_in, mentorship_id)?;
            Ok(signed_in.replica.edit(id, |doc, me| doc.set_goal_status(me, goal_id, status))?)
        })
    }

    /// The goals of a pairing (empty until one phone adds one).
    pub fn goals(&self, mentorship_id: &str) -> Result<Vec<Goal>, ClientError> {
        self.with_signed_in(|signed_in| {
            let id = DocumentId::goal_plan_of(Self::pair_of(signed_in, mentorship_id)?.mentorship_id);
            match signed_in.replica.read(id, |doc| doc.goals()) {
                Err(ReplicaError::NotFound(_)) => Ok(Vec::new()),
                other => Ok(other?),
            }
        })
    }

    /// Add a private reflection; returns its id.
    pub fn add_reflection(&self, input: &ReflectionInput) -> Result<String, ClientError> {
        self.with_signed_in(|signed_in| {
            let header = DocHeader::journal(signed_in.replica.user());
            signed_in.replica.ensure(header)?;
            Ok(signed_in.replica.edit(header.id, |doc, me| doc.add_reflection(me, input))?)
        })
    }

    /// The signed-in person's reflections.
    pub fn reflections(&self) -> Result<Vec<Reflection>, ClientError> {
        self.with_signed_in(|signed_in| {
            let id = DocumentId::journal_of(signed_in.replica.user());
            match signed_in.replica.read(id, |doc| doc.reflections()) {
                Err(ReplicaError::NotFound(_)) => Ok(Vec::new()),
                other => Ok(other?),
            }
        })
    }

    /// Documents with changes not yet on the server.
    pub fn pending(&self) -> Result<u64, ClientError> {
        self.with_signed_in(|signed_in| Ok(signed_in.replica.store().pending_count()?))
    }

    /// Changes the server refused, with the text kept for the user.
    pub fn rejections(&self) -> Result<Vec<Rejection>, ClientError> {
        self.with_signed_in(|signed_in| {
            Ok(signed_in.replica.store().rejections()?.into_iter().map(Rejection::from).collect())
        })
    }

    /// Reconcile with the server: usually one round trip.
    pub fn sync(&self) -> Result<SyncReport, ClientError> {
        self.sync_with_progress(None)
    }

    /// [`Client::sync`], reporting progress after each round trip.
    pub fn sync_with_progress(&self, progress: Option<&dyn SyncProgress>) -> Result<SyncReport, ClientError> {
        self.with_signed_in(|signed_in| {
            let mut engine = SyncRun { client: self, report: SyncReport::default(), fallback: HashMap::new() };
            engine.run(signed_in, progress)?;
            Ok(engine.report)
        })
    }
}

/// One sync: its report so far and the documents using the fallback protocol.
struct SyncRun<'a> {
    client: &'a Client,
    report: SyncReport,
    fallback: HashMap<DocumentId, sync::State>,
}

impl SyncRun<'_> {
    fn run(&mut self, signed_in: &mut SignedIn, progress: Option<&dyn SyncProgress>) -> Result<(), ClientError> {
        let mut first = true;
        while self.report.round_trips < MAX_ROUND_TRIPS {
            let (request, sent_seq) = self.build_request(&mut signed_in.replica, first)?;
            if !first && request.documents.is_empty() {
                break;
            }
            let body = protocol::encode(&request);
            self.report.bytes_sent += body.len() as u64;
            let response = self.client.authed(signed_in, |token| {
                // A sync request is idempotent, so a stale pooled connection (closed by the
                // server while idle) is worth one immediate retry.
                retry_once_if_offline(|| {
                    let response = send(
                        self.client
                            .agent
                            .post(&self.client.url("/v1/sync"))
                            .set("Authorization", &format!("Bearer {token}"))
                            .set("Content-Type", protocol::CONTENT_TYPE),
                        Body::Bytes(&body),
                    )?;
                    read_bytes(response)
                })
            })?;
            self.report.round_trips += 1;
            self.report.bytes_received += response.len() as u64;
            let response = protocol::decode_response(&response)
                .map_err(|e| invalid(format!("server sent a bad sync reply: {e}")))?;
            for id in response.purge {
                signed_in.replica.remove(id)?;
                self.fallback.remove(&id);
                self.report.purged.push(id.to_string());
            }
            for reply in response.documents {
                let seq = sent_seq.get(&reply.header.id).copied();
                self.apply_reply(&mut signed_in.replica, reply, seq)?;
            }
            if let Some(progress) = progress {
                progress.progress(self.report.docs_sent, self.report.docs_received);
            }
            first = false;
            if self.fallback.is_empty() {
                break;
            }
        }
        Ok(())
    }

    fn build_request(
        &mut self,
        replica: &mut Replica,
        complete: bool,
    ) -> Result<(SyncRequest, HashMap<DocumentId, i64>), ClientError> {
        let mut offers = Vec::new();
        let mut sent_seq = HashMap::new();
        for header in replica.store().headers()? {
            if !complete && !self.fallback.contains_key(&header.id) {
                continue;
            }
            let mark = replica.store().sync_mark(header.id)?.unwrap_or_default();
            let doc = match replica.document(header.id) {
                Ok(doc) => doc,
                Err(error) => {
                    // One unreadable document must not stop the others from syncing.
                    tracing::error!(%error, "skipping a document that cannot be loaded");
                    continue;
                }
            };
            let heads = doc.heads();
            let (changes, sync_message) = match self.fallback.get_mut(&header.id) {
                Some(state) => {
                    let message = match doc.generate_sync_message(state) {
                        Ok(message) => message,
                        Err(error) => {
                            // The state holds the server's last message; start afresh next round.
                            tracing::error!(%error, "skipping a document whose sync message failed");
                            self.fallback.remove(&header.id);
                            replica.forget(header.id);
                            continue;
                        }
                    };
                    (Vec::new(), message.map(|m| ByteBuf::from(m.encode())))
                }
                None => {
                    let shared: Vec<_> =
                        mark.server_heads.iter().filter_map(|h| h.parse().ok()).filter(|h| doc.has_change(h)).collect();
                    let changes = if shared == heads { Vec::new() } else { doc.automerge().get_changes(&shared) };
                    let changes: Vec<ByteBuf> = changes.iter().map(|c| ByteBuf::from(c.raw_bytes().to_vec())).collect();
                    (changes, None)
                }
            };
            if !changes.is_empty() {
                self.report.docs_sent += 1;
            }
            sent_seq.insert(header.id, mark.local_seq);
            offers.push(DocOffer { header, heads: protocol::heads_to_wire(&heads), changes, sync_message });
        }
        let oldest_unsynced_secs = replica.store().oldest_pending_since()?.and_then(|since| {
            let since = time::OffsetDateTime::parse(&since, &time::format_description::well_known::Rfc3339).ok()?;
            u64::try_from((time::OffsetDateTime::now_utc() - since).whole_seconds()).ok()
        });
        let request = SyncRequest {
            protocol: protocol::PROTOCOL_VERSION,
            complete_inventory: complete,
            documents: offers,
            oldest_unsynced_secs,
        };
        Ok((request, sent_seq))
    }

    fn apply_reply(
        &mut self,
        replica: &mut Replica,
        reply: DocReply,
        sent_seq: Option<i64>,
    ) -> Result<(), ClientError> {
        let header = reply.header;
        let id = header.id;
        if !header.is_consistent() || header.role_of(replica.user()) == DocRole::Outsider {
            return Err(invalid(format!("server sent document {id} that this person cannot hold")));
        }
        let server_heads = protocol::heads_from_wire(&reply.heads)
            .ok_or_else(|| invalid(format!("server sent malformed heads for {id}")))?;
        let held = replica.store().sync_mark(id)?;

        if let Some(rejection) = &reply.rejection {
            let kept_text = match held {
                Some(_) => kept_text(replica.document(id)?, &rejection.path),
                None => String::new(),
            };
            let stored = StoredRejection {
                document_id: id.to_string(),
                path: rejection.path.clone(),
                reason: rejection.reason.clone(),
                kept_text,
                created_at: crate::document::now_rfc3339(),
            };
            replica.store_mut().add_rejection(&stored)?;
            self.report.rejected.push(stored.into());
        }

        let before = match held {
            Some(_) => Some(replica.document(id)?.heads()),
            None => None,
        };
        if let Some(snapshot) = &reply.snapshot {
            let incoming = Document::load(header, snapshot, ActorId::random())
                .map_err(|e| invalid(format!("server sent an unreadable document {id}: {e}")))?;
            match (&held, &reply.rejection) {
                // New to this device, or back to the server's version after a rejection.
                (None, _) | (Some(_), Some(_)) => {
                    let mut incoming = incoming;
                    replica.store_mut().save_remote(&header, &incoming.save())?;
                    replica.forget(id);
                }
                (Some(_), None) => {
                    let mut incoming = incoming;
                    let merged = replica.document(id)?.merge(&mut incoming);
                    forget_if_panicked(replica, id, merged)?;
                }
            }
            self.report.docs_received += 1;
        } else if !reply.changes.is_empty() {
            let changes = reply
                .changes
                .iter()
                .map(|bytes| Change::from_bytes(bytes.to_vec()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid(format!("server sent a malformed change for {id}: {e}")))?;
            // A change Automerge would not write itself would leave a saved document
            // that cannot be loaded again.
            if let Some(violation) = changes.iter().find_map(|c| rules::verify_change(c).err()) {
                return Err(invalid(format!("server sent a malformed change for {id}: {violation}")));
            }
            let applied = replica.document(id)?.apply_changes(changes);
            forget_if_panicked(replica, id, applied)?;
            self.report.docs_received += 1;
        }

        match &reply.sync_message {
            Some(message) => {
                let message = sync::Message::decode(message)
                    .map_err(|e| invalid(format!("server sent a malformed sync message for {id}: {e}")))?;
                let state = self.fallback.entry(id).or_default();
                let received = replica.document(id)?.receive_sync_message(state, message);
                if let Err(DocumentError::AutomergePanic { .. }) = &received {
                    // The state may hold what made Automerge panic: start afresh.
                    self.fallback.remove(&id);
                }
                forget_if_panicked(replica, id, received)?;
            }
            None => {
                self.fallback.remove(&id);
            }
        }

        if let Some(before) = before {
            let doc = replica.document(id)?;
            if doc.heads() != before && (reply.rejection.is_none() || reply.snapshot.is_none()) {
                let bytes = doc.save();
                replica.store_mut().save_remote(&header, &bytes)?;
            }
        }
        if reply.sync_message.is_none() {
            let acked = match (&reply.rejection, sent_seq) {
                // Everything offered was either kept by the server or kept as a rejection.
                (Some(_), _) => replica.store().sync_mark(id)?.map(|m| m.local_seq).unwrap_or(0),
                (None, Some(seq)) => seq,
                (None, None) => 0,
            };
            let heads: Vec<String> = server_heads.iter().map(ToString::to_string).collect();
            replica.store_mut().mark_synced(id, &heads, acked, None)?;
        }
        Ok(())
    }
}

/// Pass `result` on; after a contained Automerge panic the document in memory may
/// be half updated, so it is dropped and reloaded from the store on next use.
fn forget_if_panicked(
    replica: &mut Replica,
    id: DocumentId,
    result: Result<(), DocumentError>,
) -> Result<(), ClientError> {
    if let Err(DocumentError::AutomergePanic { .. }) = &result {
        replica.forget(id);
    }
    Ok(result?)
}

/// Render what the device holds at `path` (or the nearest object above it) as
/// text, so a refused write is kept for the user to see and re-enter.
fn kept_text(doc: &mut Document, path: &str) -> String {
    let doc = doc.automerge_ref();
    let mut obj = ROOT;
    let mut rendered = String::new();
    for key in path.split('/').filter(|k| !k.is_empty() && *k != "*") {
        match doc.get(&obj, key) {
            Ok(Some((Value::Object(_), child))) => obj = child,
            Ok(Some((Value::Scalar(value), _))) => {
                rendered = scalar_text(&value);
                return rendered;
            }
            _ => break,
        }
    }
    match doc.object_type(&obj) {
        Ok(ObjType::Text) => doc.text(&obj).unwrap_or_default(),
        Ok(ObjType::Map | ObjType::Table) => {
            for key in doc.keys(&obj) {
                if let Ok(Some((Value::Scalar(value), _))) = doc.get(&obj, &key) {
                    rendered.push_str(&format!("{key}: {}\n", scalar_text(&value)));
                }
            }
            rendered
        }
        _ => rendered,
    }
}

fn scalar_text(value: &automerge::ScalarValue) -> String {
    match value {
        automerge::ScalarValue::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

fn wipe(signed_in: &mut SignedIn) -> Result<(), ClientError> {
    let store = signed_in.replica.store_mut();
    store.wipe()?;
    let path = store.path().to_owned();
    signed_in.replica.forget_all();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}

/// Emails as the server compares them.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn parse_doc_id(id: &str) -> Result<DocumentId, ClientError> {
    id.parse().map_err(|e: crate::ids::InvalidId| invalid(e.to_string()))
}

fn actor_from_hex(hex_actor: &str) -> Result<ActorId, ClientError> {
    let bytes = hex::decode(hex_actor).map_err(|_| invalid("the server issued a malformed actor id"))?;
    if bytes.len() != 16 {
        return Err(invalid("the server issued an actor id of the wrong length"));
    }
    Ok(ActorId::from(bytes))
}

/// Run an idempotent request, once more if the first attempt could not reach the
/// server (typically a pooled connection the server had closed).
fn retry_once_if_offline<T>(request: impl Fn() -> Result<T, ClientError>) -> Result<T, ClientError> {
    match request() {
        Err(ClientError::Offline { .. }) => request(),
        other => other,
    }
}

enum Body<'a> {
    Empty,
    Json(&'a serde_json::Value),
    Bytes(&'a [u8]),
}

/// Send a request and turn every failure into the error an app acts on.
fn send(request: ureq::Request, body: Body<'_>) -> Result<ureq::Response, ClientError> {
    let result = match body {
        Body::Empty => request.call(),
        Body::Json(json) => request.send_json(json),
        Body::Bytes(bytes) => request.send_bytes(bytes),
    };
    match result {
        Ok(response) => Ok(response),
        Err(ureq::Error::Transport(transport)) => Err(ClientError::Offline { message: transport.to_string() }),
        Err(ureq::Error::Status(status, response)) => {
            let body: ErrorBody = response.into_json().unwrap_or_default();
            let message = if body.message.is_empty() { format!("HTTP {status}") } else { body.message };
            Err(match (status, body.error.as_str()) {
                (401, "device_revoked") => ClientError::Revoked { message },
                (401, _) => ClientError::Unauthorized { message },
                (403, _) => ClientError::Forbidden { message },
                (404, _) => ClientError::NotFound { message },
                (400 | 409 | 413 | 415 | 422, _) => ClientError::Invalid { message },
                (429, _) => ClientError::Server { message: format!("too many requests: {message}") },
                _ => ClientError::Server { message },
            })
        }
    }
}

fn read_json<T: serde::de::DeserializeOwned>(response: ureq::Response) -> Result<T, ClientError> {
    response.into_json().map_err(|e| invalid(format!("server sent an unexpected answer: {e}")))
}

/// The largest sync reply a phone accepts (a whole caseload of documents).
const MAX_REPLY_BYTES: u64 = 256 * 1024 * 1024;

fn read_bytes(response: ureq::Response) -> Result<Vec<u8>, ClientError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    response
        .into_reader()
        .take(MAX_REPLY_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| ClientError::Offline { message: format!("connection lost while reading: {e}") })?;
    Ok(bytes)
}
