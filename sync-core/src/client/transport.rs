//! HTTP to the server: one method per endpoint the phone uses, every failure
//! turned into the [`ClientError`] an app acts on, and the retry policy. Knows
//! nothing of the device store or the signed-in state.

use std::io::Read;
use std::time::Duration;

use super::ClientError;
use super::error::invalid;
use super::surveys::ProgrammeSurveys;
use crate::api::{
    ChangePasswordRequest, Confidentiality, ErrorBody, GroupItem, LoginRequest, MentorshipItem, RefreshRequest,
    ReminderItem, ResetPasswordRequest, TokenResponse,
};
use crate::protocol;

/// The largest sync reply a phone accepts (a whole caseload of documents).
const MAX_REPLY_BYTES: u64 = 256 * 1024 * 1024;

/// The server's address and a pooled HTTP agent.
pub(super) struct Transport {
    agent: ureq::Agent,
    server_url: String,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").field("server_url", &self.server_url).finish_non_exhaustive()
    }
}

impl Transport {
    pub(super) fn new(server_url: &str) -> Self {
        let agent =
            ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(10)).timeout(Duration::from_secs(60)).build();
        Self { agent, server_url: server_url.trim_end_matches('/').to_owned() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server_url)
    }

    fn authorized(&self, request: ureq::Request, token: &str) -> ureq::Request {
        request.set("Authorization", &format!("Bearer {token}"))
    }

    /// `POST /v1/auth/login`.
    pub(super) fn login(&self, request: &LoginRequest) -> Result<TokenResponse, ClientError> {
        read_json(check(self.agent.post(&self.url("/v1/auth/login")).send_json(request))?)
    }

    /// `POST /v1/auth/refresh`: a new token pair; `refresh_token` is used up.
    pub(super) fn refresh(&self, refresh_token: &str) -> Result<TokenResponse, ClientError> {
        let request = RefreshRequest { refresh_token: refresh_token.to_owned() };
        read_json(check(self.agent.post(&self.url("/v1/auth/refresh")).send_json(&request))?)
    }

    /// `POST /v1/auth/logout`.
    pub(super) fn logout(&self, token: &str) -> Result<(), ClientError> {
        check(self.authorized(self.agent.post(&self.url("/v1/auth/logout")), token).call())?;
        Ok(())
    }

    /// `POST /v1/auth/password`.
    pub(super) fn change_password(&self, token: &str, request: &ChangePasswordRequest) -> Result<(), ClientError> {
        check(self.authorized(self.agent.post(&self.url("/v1/auth/password")), token).send_json(request))?;
        Ok(())
    }

    /// `POST /v1/auth/password/reset`: no token, nobody is signed in. Not
    /// retried: a repeat of an answer lost on the way would find the code used.
    pub(super) fn reset_password(&self, request: &ResetPasswordRequest) -> Result<(), ClientError> {
        check(self.agent.post(&self.url("/v1/auth/password/reset")).send_json(request))?;
        Ok(())
    }

    /// `GET /v1/mentorships`.
    pub(super) fn mentorships(&self, token: &str) -> Result<Vec<MentorshipItem>, ClientError> {
        retry_once_if_offline(|| {
            read_json(check(self.authorized(self.agent.get(&self.url("/v1/mentorships")), token).call())?)
        })
    }

    /// `GET /v1/groups`.
    pub(super) fn groups(&self, token: &str) -> Result<Vec<GroupItem>, ClientError> {
        retry_once_if_offline(|| {
            read_json(check(self.authorized(self.agent.get(&self.url("/v1/groups")), token).call())?)
        })
    }

    /// `GET /v1/programmes`, read for their surveys.
    pub(super) fn programme_surveys(&self, token: &str) -> Result<Vec<ProgrammeSurveys>, ClientError> {
        retry_once_if_offline(|| {
            read_json(check(self.authorized(self.agent.get(&self.url("/v1/programmes")), token).call())?)
        })
    }

    /// `GET /v1/reminders`.
    pub(super) fn reminders(&self, token: &str) -> Result<Vec<ReminderItem>, ClientError> {
        retry_once_if_offline(|| {
            read_json(check(self.authorized(self.agent.get(&self.url("/v1/reminders")), token).call())?)
        })
    }

    /// `GET /v1/organisation/confidentiality`.
    pub(super) fn confidentiality(&self, token: &str) -> Result<Confidentiality, ClientError> {
        retry_once_if_offline(|| {
            let request = self.authorized(self.agent.get(&self.url("/v1/organisation/confidentiality")), token);
            read_json(check(request.call())?)
        })
    }

    /// `POST /v1/sync` with an encoded request; the encoded reply.
    pub(super) fn sync(&self, token: &str, body: &[u8]) -> Result<Vec<u8>, ClientError> {
        // A sync request is idempotent, so a stale pooled connection (closed by the
        // server while idle) is worth one immediate retry.
        retry_once_if_offline(|| {
            let request = self
                .authorized(self.agent.post(&self.url("/v1/sync")), token)
                .set("Content-Type", protocol::CONTENT_TYPE);
            read_bytes(check(request.send_bytes(body))?)
        })
    }
}

/// Run an idempotent request, once more if the first attempt could not reach the
/// server (typically a pooled connection the server had closed).
fn retry_once_if_offline<T>(request: impl Fn() -> Result<T, ClientError>) -> Result<T, ClientError> {
    match request() {
        Err(ClientError::Offline { .. }) => request(),
        other => other,
    }
}

/// Turn every failure of a request into the error an app acts on.
fn check(result: Result<ureq::Response, ureq::Error>) -> Result<ureq::Response, ClientError> {
    match result {
        Ok(response) => Ok(response),
        Err(ureq::Error::Transport(transport)) => Err(ClientError::Offline { message: transport.to_string() }),
        Err(ureq::Error::Status(status, response)) => {
            // Anything but the documented error body (a proxy's HTML page) still maps by status.
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

/// The body is read whole first, so a failure of the connection (a cut body, a
/// reset, a timeout) is `Offline` and only a complete answer that makes no sense
/// is `Invalid`: a lost answer must be retried, not taken as a refusal.
fn read_json<T: serde::de::DeserializeOwned>(response: ureq::Response) -> Result<T, ClientError> {
    let bytes = read_bytes(response)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        if e.is_eof() {
            // A body without a length that stopped early.
            ClientError::Offline { message: format!("the server's answer was cut short: {e}") }
        } else {
            invalid(format!("server sent an unexpected answer: {e}"))
        }
    })
}

fn read_bytes(response: ureq::Response) -> Result<Vec<u8>, ClientError> {
    let mut bytes = Vec::new();
    response
        .into_reader()
        .take(MAX_REPLY_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| ClientError::Offline { message: format!("connection lost while reading: {e}") })?;
    Ok(bytes)
}
