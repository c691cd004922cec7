//! The account side of the client: signing in and out, the tokens and their
//! refresh, the accounts index (which store an email uses, so signing in again
//! keeps the device) and the signed-in person's pairings.

use std::collections::HashMap;

use automerge::ActorId;
use serde::{Deserialize, Serialize};

use super::error::invalid;
use super::files::{ACCOUNTS_FILE, CURRENT_ACCOUNT_FILE, STORE_SUFFIX};
use super::{Client, ClientError, SignedIn};
use crate::api::{ChangePasswordRequest, LoginRequest, MentorshipItem, ResetPasswordRequest};
use crate::ids::{Pair, UserId};
use crate::replica::Replica;
use crate::store::Store;

const ACCOUNT: &str = "account";
pub(super) const ACCESS_TOKEN: &str = "access_token";
const REFRESH_TOKEN: &str = "refresh_token";
const MENTORSHIPS: &str = "mentorships";

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

/// A pairing the signed-in person belongs to (the mobile contract's record; kept
/// in the store as JSON, so the pairings are known offline).
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
    /// The programme it belongs to (empty in records stored before it was kept).
    #[serde(default)]
    pub programme_id: String,
    /// When it was completed or ended (`YYYY-MM-DD`), if it has.
    #[serde(default)]
    pub ended_on: Option<String>,
}

impl From<MentorshipItem> for Mentorship {
    fn from(item: MentorshipItem) -> Self {
        Self {
            id: item.id,
            mentor_id: item.mentor_id,
            mentor_name: item.mentor_name,
            mentee_id: item.mentee_id,
            mentee_name: item.mentee_name,
            status: item.status,
            started_on: item.started_on,
            programme_id: item.programme_id,
            ended_on: item.ended_on,
        }
    }
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

/// Whether signing out deletes this person's data from the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOut {
    /// Keep documents for the next sign-in (unsynced edits are kept too).
    KeepData,
    /// Delete everything this person has on the device.
    WipeData,
}

impl Client {
    fn store_path(&self, user: UserId) -> std::path::PathBuf {
        self.data_dir.join(format!("{user}{STORE_SUFFIX}"))
    }

    fn open_store(&self, path: &std::path::Path) -> Result<Store, crate::store::StoreError> {
        Store::open_with_key(path, self.key.as_ref())
    }

    /// Open the account that was signed in last, if any, so the app works offline.
    /// A `current-account` file that cannot be read (empty, garbage, a torn write
    /// by an older version) means "not signed in": the app can still sign in or
    /// wipe, and no store is opened, let alone changed, on its account. A sealed
    /// one that does not open with the key is a `Storage` error.
    pub(super) fn reopen_last_account(&self) -> Result<(), ClientError> {
        let Some(user) = self.read_small_file(CURRENT_ACCOUNT_FILE)? else { return Ok(()) };
        let Some(user) = std::str::from_utf8(&user).ok().and_then(|user| user.trim().parse::<UserId>().ok()) else {
            tracing::warn!("the current-account file is unreadable; starting signed out");
            return Ok(());
        };
        let path = self.store_path(user);
        if !path.exists() {
            // Never create a store for a name read from a file: only sign-in does.
            tracing::warn!("the current-account file names no store; starting signed out");
            return Ok(());
        }
        let store = self.open_store(&path)?;
        if let Some(account) = store.setting(ACCOUNT)? {
            let account: Account = serde_json::from_str(&account).map_err(|e| invalid(e.to_string()))?;
            let replica = Replica::with_store(store, user, actor_from_hex(&account.actor_id)?);
            *self.lock() = Some(SignedIn { serial: self.next_serial(), account, replica });
        }
        Ok(())
    }

    /// The accounts index (email -> user id); empty when there is none or it is
    /// not JSON. A sealed index that does not open with the key is an error.
    fn accounts_index(&self) -> Result<HashMap<String, String>, ClientError> {
        Ok(self
            .read_small_file(ACCOUNTS_FILE)?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default())
    }

    /// The device this phone was last signed in as for `email`, read from that
    /// person's store; `None` when there is none or it cannot be read.
    fn previous_device(&self, index: &HashMap<String, String>, email: &str) -> Option<String> {
        let user: UserId = index.get(&email_key(email))?.parse().ok()?;
        let path = self.store_path(user);
        if !path.exists() {
            return None;
        }
        let store = self.open_store(&path).ok()?;
        let account: Account = serde_json::from_str(&store.setting(ACCOUNT).ok()??).ok()?;
        Some(account.device_id)
    }

    /// Notes which store `email` signs in to (best effort: without it, the next
    /// sign-in registers a new device).
    fn remember_account(&self, email: &str, user: UserId) {
        let written = self.accounts_index().and_then(|mut index| {
            index.insert(email_key(email), user.to_string());
            let bytes = serde_json::to_vec(&index).map_err(|e| invalid(e.to_string()))?;
            self.write_small_file(ACCOUNTS_FILE, &bytes)
        });
        if let Err(error) = written {
            tracing::warn!(%error, "could not remember which store this account uses");
        }
    }

    /// Sign in; registers this device with the server, or keeps the device this
    /// phone was signed in as before for the same person (so changes made before
    /// a forced sign-in, not yet synced, still carry the device's own actor).
    ///
    /// When the email has accounts in several organisations and the password
    /// fits more than one, this is `Invalid` with a message naming them (id and
    /// name): sign in with [`Client::login_to`] then.
    pub fn login(&self, email: &str, password: &str, device_name: &str) -> Result<Account, ClientError> {
        self.login_with(None, email, password, device_name)
    }

    /// [`Client::login`] to the account of `org_id`, for an email with accounts
    /// in several organisations.
    pub fn login_to(
        &self,
        org_id: &str,
        email: &str,
        password: &str,
        device_name: &str,
    ) -> Result<Account, ClientError> {
        let org: uuid::Uuid =
            org_id.trim().parse().map_err(|_| invalid(format!("{org_id:?} is not an organisation id")))?;
        self.login_with(Some(org), email, password, device_name)
    }

    fn login_with(
        &self,
        organisation_id: Option<uuid::Uuid>,
        email: &str,
        password: &str,
        device_name: &str,
    ) -> Result<Account, ClientError> {
        // Read before the server is asked: a key that does not open the folder
        // stops here, with nothing registered and nothing written.
        let index = self.accounts_index()?;
        let request = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
            device_name: device_name.to_owned(),
            device_id: self.previous_device(&index, email).and_then(|id| id.parse().ok()),
            organisation_id,
        };
        let login = self.transport.login(&request)?;
        let user: UserId = login.user.id.parse()?;
        let account = Account {
            user_id: login.user.id,
            org_id: login.user.org_id,
            display_name: login.user.display_name,
            roles: login.user.roles,
            device_id: login.device.id,
            actor_id: login.device.actor_id,
        };
        let mut replica =
            Replica::with_store(self.open_store(&self.store_path(user))?, user, actor_from_hex(&account.actor_id)?);
        let store = replica.store_mut();
        store.set_setting(ACCOUNT, Some(&serde_json::to_string(&account).map_err(|e| invalid(e.to_string()))?))?;
        store.set_setting(ACCESS_TOKEN, Some(&login.access_token))?;
        store.set_setting(REFRESH_TOKEN, Some(&login.refresh_token))?;
        self.write_small_file(CURRENT_ACCOUNT_FILE, user.to_string().as_bytes())?;
        self.remember_account(email, user);
        let serial = self.next_serial();
        *self.lock() = Some(SignedIn { serial, account: account.clone(), replica });
        // Cache the pairings now, while online, so sessions can be created offline.
        if let Err(error) = self.fetch_mentorships(serial) {
            tracing::warn!(%error, "could not fetch mentorships after sign-in");
        }
        self.refresh_scheme(serial);
        self.refresh_reminders(serial);
        Ok(account)
    }

    /// The signed-in account, if any.
    pub fn account(&self) -> Option<Account> {
        self.lock().as_ref().map(|s| s.account.clone())
    }

    /// Sign out. With [`SignOut::WipeData`] everything this person has on the
    /// device is deleted.
    pub fn logout(&self, mode: SignOut) -> Result<(), ClientError> {
        // Taken out of the client first: nothing else uses this sign-in from here on,
        // and the lock is not held while the server is told.
        let Some(mut signed_in) = self.lock().take() else { return Ok(()) };
        let token = signed_in.replica.store().setting(ACCESS_TOKEN)?.unwrap_or_default();
        // Best effort: an offline phone still signs out locally.
        let _ = self.transport.logout(&token);
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

    /// Change the signed-in person's password (online only). This phone stays
    /// signed in; the person's other devices and console logins are signed out.
    /// A wrong `old_password` or a `new_password` the server's policy refuses
    /// (too short, too easy to guess: the message says why) is `Invalid`.
    pub fn change_password(&self, old_password: &str, new_password: &str) -> Result<(), ClientError> {
        let serial = self.current_serial()?;
        let request =
            ChangePasswordRequest { old_password: old_password.to_owned(), new_password: new_password.to_owned() };
        self.authed(serial, |token| self.transport.change_password(token, &request))
    }

    /// Set a new password with the one-time code a coordinator gave for a
    /// forgotten one (online only; nobody needs to be signed in on this phone).
    /// Every device and console login of the person is signed out, this phone's
    /// too if the person was signed in here: sign in with the new password
    /// afterwards, and what the phone still had to send goes with the next sync.
    /// A wrong, used or expired code, or an email with no such account, is
    /// `Invalid` (which of them is not said); so is a `new_password` the policy
    /// refuses, with the reason. Too many wrong codes is `Server` ("too many
    /// requests"). `Offline` may come after the server set the password (the
    /// answer was lost): the code is then used up, so an app should offer
    /// signing in with the new password before asking for another code.
    pub fn reset_password(&self, email: &str, code: &str, new_password: &str) -> Result<(), ClientError> {
        let request = ResetPasswordRequest {
            email: email.to_owned(),
            code: code.to_owned(),
            new_password: new_password.to_owned(),
        };
        self.transport.reset_password(&request)
    }

    /// Run an authenticated request for sign-in `serial` without holding the
    /// state lock, refreshing the access token once if it expired. A revoked
    /// device is wiped.
    pub(super) fn authed<T>(
        &self,
        serial: u64,
        request: impl Fn(&str) -> Result<T, ClientError>,
    ) -> Result<T, ClientError> {
        let attempt = || {
            let token =
                self.with_sign_in(serial, |s| Ok(s.replica.store().setting(ACCESS_TOKEN)?))?.unwrap_or_default();
            match request(&token) {
                Err(ClientError::Unauthorized { .. }) => request(&self.refresh(serial, &token)?),
                other => other,
            }
        };
        let result = attempt();
        if matches!(result, Err(ClientError::Revoked { .. })) {
            self.forget_revoked(serial)?;
        }
        result
    }

    /// A fresh access token after `expired` was refused. One refresh at a time:
    /// if another thread refreshed meanwhile, its token is used.
    fn refresh(&self, serial: u64, expired: &str) -> Result<String, ClientError> {
        let _one_at_a_time = self.refreshing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (access, refresh) = self.with_sign_in(serial, |s| {
            let store = s.replica.store();
            Ok((store.setting(ACCESS_TOKEN)?, store.setting(REFRESH_TOKEN)?))
        })?;
        if let Some(access) = access.filter(|current| current != expired) {
            return Ok(access);
        }
        let refresh =
            refresh.ok_or_else(|| ClientError::Unauthorized { message: "signed out; sign in again".into() })?;
        let tokens = self.transport.refresh(&refresh)?;
        self.with_sign_in(serial, |s| {
            let store = s.replica.store_mut();
            store.set_setting(ACCESS_TOKEN, Some(&tokens.access_token))?;
            store.set_setting(REFRESH_TOKEN, Some(&tokens.refresh_token))?;
            Ok(())
        })?;
        Ok(tokens.access_token)
    }

    /// The server revoked this device: wipe what sign-in `serial` holds here.
    fn forget_revoked(&self, serial: u64) -> Result<(), ClientError> {
        let mut guard = self.lock();
        if guard.as_ref().is_some_and(|s| s.serial == serial)
            && let Some(mut signed_in) = guard.take()
        {
            wipe(&mut signed_in)?;
            let _ = std::fs::remove_file(self.data_dir.join(CURRENT_ACCOUNT_FILE));
        }
        Ok(())
    }

    fn fetch_mentorships(&self, serial: u64) -> Result<Vec<Mentorship>, ClientError> {
        let items = self.authed(serial, |token| self.transport.mentorships(token))?;
        let list: Vec<Mentorship> = items.into_iter().map(Mentorship::from).collect();
        let json = serde_json::to_string(&list).map_err(|e| invalid(e.to_string()))?;
        self.with_sign_in(serial, |s| Ok(s.replica.store_mut().set_setting(MENTORSHIPS, Some(&json))?))?;
        Ok(list)
    }

    pub(super) fn cached_mentorships(signed_in: &SignedIn) -> Result<Vec<Mentorship>, ClientError> {
        match signed_in.replica.store().setting(MENTORSHIPS)? {
            Some(json) => serde_json::from_str(&json).map_err(|e| ClientError::Storage { message: e.to_string() }),
            None => Ok(Vec::new()),
        }
    }

    /// The signed-in person's pairings: fresh from the server when online, else
    /// as last seen.
    pub fn mentorships(&self) -> Result<Vec<Mentorship>, ClientError> {
        let serial = self.current_serial()?;
        self.refresh_scheme(serial);
        match self.fetch_mentorships(serial) {
            Err(ClientError::Offline { .. } | ClientError::Server { .. }) => {
                self.with_sign_in(serial, |s| Self::cached_mentorships(s))
            }
            other => other,
        }
    }

    /// The pair of one of the signed-in person's pairings, as last seen.
    pub(super) fn pair_of(signed_in: &SignedIn, mentorship_id: &str) -> Result<Pair, ClientError> {
        Self::cached_mentorships(signed_in)?
            .iter()
            .find(|m| m.id == mentorship_id)
            .ok_or_else(|| ClientError::NotFound {
                message: format!("mentorship {mentorship_id} (sync while online first)"),
            })?
            .pair()
    }
}

/// Delete everything a sign-in holds on the device, files included.
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

impl SignedIn {
    /// Write under the fresh actor the server issued, and remember it.
    pub(super) fn adopt_actor(&mut self, actor_hex: &str) -> Result<(), ClientError> {
        let actor = actor_from_hex(actor_hex)?;
        let mut account = self.account.clone();
        account.actor_id = actor_hex.to_owned();
        let json = serde_json::to_string(&account).map_err(|e| invalid(e.to_string()))?;
        self.replica.store_mut().set_setting(ACCOUNT, Some(&json))?;
        self.account = account;
        self.replica.set_actor(actor);
        Ok(())
    }
}

/// Emails as the server compares them.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn actor_from_hex(hex_actor: &str) -> Result<ActorId, ClientError> {
    let bytes = hex::decode(hex_actor).map_err(|_| invalid("the server issued a malformed actor id"))?;
    if bytes.len() != 16 {
        return Err(invalid("the server issued an actor id of the wrong length"));
    }
    Ok(ActorId::from(bytes))
}
