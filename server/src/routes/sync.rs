//! `POST /v1/sync` (CBOR) and `GET /v1/sync/live` (WebSocket).

use std::collections::HashSet;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use sync_core::automerge::ActorId;
use sync_core::protocol;

use crate::auth::{AuthUser, VerifiedToken};
use crate::db::groups as groups_db;
use crate::db::mentorships::{self as mentorships_db, Scope as MentorshipScope};
use crate::domain::permissions;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::sync::SyncError;
use crate::sync::engine::{self, COMPACT_AFTER, Caller};
use crate::sync::live::LiveEvent;

/// The largest sync body accepted: a phone's whole caseload after weeks offline.
pub const MAX_SYNC_BODY: usize = 32 * 1024 * 1024;

/// How many times a sync checks its token again when what the check read
/// changed meanwhile (each time another change came between the check and the
/// snapshot: practically never twice).
const MAX_AUTH_RETRIES: u32 = 3;

/// How often a live connection is pinged so dead ones are noticed.
const LIVE_PING: Duration = Duration::from_secs(20);

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1/sync").app_data(web::PayloadConfig::new(MAX_SYNC_BODY)).service(post_sync).service(get_live),
    );
}

/// Whether a `Content-Type` names exactly CBOR (parameters allowed, case not
/// significant): `application/cborXYZ` is another type.
fn is_cbor(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case(protocol::CONTENT_TYPE)
}

pub(crate) fn caller(user: &AuthUser) -> Result<Caller, ApiError> {
    let actor = hex::decode(&user.actor_id)
        .map(ActorId::from)
        .map_err(|_| ApiError::internal("a device has a malformed actor id"))?;
    Ok(Caller { person: user.person_id, org_id: user.org_id, device_id: user.device_id, actor, auth_tag: None })
}

/// Reconcile a device with the server: the request carries the device's
/// inventory and the changes the server lacks; the reply what the device lacks,
/// rejections and documents to purge. Body and reply are CBOR (see
/// `sync_core::protocol`).
#[utoipa::path(
    post,
    path = "/v1/sync",
    tag = "sync",
    security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/cbor", description = "sync_core::protocol::SyncRequest"),
    responses(
        (status = 200, content_type = "application/cbor", body = Vec<u8>, description = "sync_core::protocol::SyncResponse"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 503, description = "`unavailable`: the account changed again and again while the sync began; retry", body = ErrorBody),
    )
)]
#[post("")]
pub async fn post_sync(
    state: web::Data<AppState>,
    token: VerifiedToken,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !is_cbor(content_type) {
        return Err(ApiError::unsupported_media_type(format!(
            "sync bodies are {}, not {content_type:?}",
            protocol::CONTENT_TYPE
        )));
    }
    let sync = state.sync.clone();
    let db = state.db.clone();
    let (reply, compact) = state
        .db
        .run(move |conn| {
            let mut attempts = 0;
            let outcome = loop {
                let (user, auth_tag) = token.confirm_for_sync(conn)?;
                let caller = Caller { auth_tag: Some(auth_tag), ..caller(&user)? };
                let request = protocol::decode_request(&body)
                    .map_err(|e| ApiError::bad_request("malformed_sync_body", e.to_string()))?;
                match engine::handle_with(conn, &db.writer(), &sync.cache, &caller, request) {
                    // What the token check used changed since it was read (the
                    // cache is emptied by then): check it again from the
                    // database. Nothing was read or written for this request yet.
                    Err(SyncError::AuthChanged) if attempts < MAX_AUTH_RETRIES => attempts += 1,
                    other => break other?,
                }
            };
            let events: Vec<LiveEvent> = outcome
                .changed
                .iter()
                .map(|doc| LiveEvent {
                    org_id: doc.org_id.to_string(),
                    document_id: doc.id.to_string(),
                    mentorship_id: doc.mentorship_id.map(|m| m.to_string()),
                    owner_id: doc.owner_id.map(|o| o.to_string()),
                    group_id: doc.group_id.map(|g| g.to_string()),
                })
                .collect();
            sync.notifier.publish(conn, &events);
            let compact: Vec<_> =
                outcome.changed.iter().filter(|d| d.changes_since_snapshot > COMPACT_AFTER).map(|d| d.id).collect();
            Ok::<_, ApiError>((protocol::encode(&outcome.response).map_err(ApiError::internal)?, compact))
        })
        .await?;
    for id in compact {
        let (db, sync) = (state.db.clone(), state.sync.clone());
        actix_web::rt::spawn(async move {
            if let Err(error) = db.run(move |conn| engine::compact(conn, &sync.cache, id)).await {
                tracing::warn!(document = %id, %error, "compaction failed; will retry after later writes");
            }
        });
    }
    Ok(HttpResponse::Ok().content_type(protocol::CONTENT_TYPE).body(reply))
}

/// A WebSocket that sends `{"type":"documents_changed","documents":[id]}` when a
/// document the caller may read changes, so the device syncs at once.
/// Coordinators and admins receive `{"type":"programme_changed","mentorship_id":..}`
/// for their organisation (no content, only which pairing moved).
///
/// The connection lives no longer than its token: it is re-checked against the
/// database every few seconds (`Settings::live_recheck`) and closed (close code
/// 1008, policy) once the device signs out or is revoked, the person is
/// deactivated, or the token expires; the device reconnects with a fresh token.
#[utoipa::path(
    get,
    path = "/v1/sync/live",
    tag = "sync",
    security(("bearer" = [])),
    responses(
        (status = 101, description = "switching to WebSocket"),
        (status = 400, description = "Not a WebSocket upgrade request (`not_websocket`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    )
)]
#[get("/live")]
pub async fn get_live(
    state: web::Data<AppState>,
    token: VerifiedToken,
    req: HttpRequest,
    stream: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let token = std::sync::Arc::new(token);
    let checked = token.clone();
    let user = state.db.run(move |conn| checked.recheck(conn)).await?;
    let (org_id, person_id) = (user.org_id, user.person_id);
    let (pairings, groups): (HashSet<String>, HashSet<String>) = state
        .db
        .run(move |conn| {
            let pairings = mentorships_db::find_by_org_with_names(conn, org_id, MentorshipScope::Involving(person_id))?
                .into_iter()
                .filter(|m| m.mentorship.status.grants_access())
                .map(|m| m.mentorship.id.to_string())
                .collect();
            // Groups as they are when the socket opens; a removed member hears of
            // a few changes more, but syncing then purges (hints carry no content).
            let groups =
                groups_db::find_by_person(conn, org_id, person_id)?.into_iter().map(|g| g.id.to_string()).collect();
            Ok::<_, ApiError>((pairings, groups))
        })
        .await?;
    let watches_programme = permissions::watches_programme(user.roles);
    let (response, mut socket, mut messages) =
        actix_ws::handle(&req, stream).map_err(|e| ApiError::bad_request("not_websocket", e.to_string()))?;
    let mut events = state.sync.notifier.subscribe();
    // Live events carry ids as text (they also cross processes through pg_notify).
    let (org, person) = (user.org_id.to_string(), user.person_id.to_string());
    let (db, every) = (state.db.clone(), state.settings.live_recheck);
    actix_web::rt::spawn(async move {
        let mut ping = tokio::time::interval(LIVE_PING);
        let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        let expired = tokio::time::sleep(until_expiry(token.expires_at()));
        tokio::pin!(expired);
        let reason = loop {
            tokio::select! {
                event = events.recv() => {
                    let event = match event {
                        Ok(event) => event,
                        // Fell behind: tell the device to sync everything.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => LiveEvent {
                            org_id: user.org_id.to_string(), document_id: "*".into(), mentorship_id: None, owner_id: None, group_id: None,
                        },
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break None,
                    };
                    if event.org_id != org {
                        continue;
                    }
                    let mine = event.owner_id.as_deref() == Some(person.as_str())
                        || event.mentorship_id.as_ref().is_some_and(|m| pairings.contains(m))
                        || event.group_id.as_ref().is_some_and(|g| groups.contains(g))
                        || event.document_id == "*";
                    let text = if mine {
                        serde_json::json!({ "type": "documents_changed", "documents": [event.document_id] })
                    } else if watches_programme && event.mentorship_id.is_some() {
                        serde_json::json!({ "type": "programme_changed", "mentorship_id": event.mentorship_id })
                    } else {
                        continue;
                    };
                    if socket.text(text.to_string()).await.is_err() {
                        break None;
                    }
                }
                message = messages.recv() => match message {
                    Some(Ok(actix_ws::Message::Ping(bytes))) => {
                        if socket.pong(&bytes).await.is_err() { break None; }
                    }
                    Some(Ok(actix_ws::Message::Close(_))) | None | Some(Err(_)) => break None,
                    Some(Ok(_)) => {}
                },
                _ = ping.tick() => {
                    if socket.ping(b"").await.is_err() { break None; }
                }
                _ = recheck.tick() => {
                    let token = token.clone();
                    match db.run(move |conn| token.recheck(conn)).await {
                        Ok(_) => {}
                        Err(ApiError::Unauthorized { code, .. }) => break Some(code),
                        // The database is briefly unreachable: keep the connection, check again later.
                        Err(error) => tracing::warn!(%error, "could not re-check a live connection's token"),
                    }
                }
                () = &mut expired => break Some("token_expired"),
            }
        };
        let close = reason.map(|code| actix_ws::CloseReason {
            code: actix_ws::CloseCode::Policy,
            description: Some(code.to_owned()),
        });
        let _ = socket.close(close).await;
    });
    Ok(response)
}

/// How long until a token expiring at `exp` (Unix seconds) has expired.
fn until_expiry(exp: u64) -> Duration {
    Duration::from_secs(exp.saturating_sub(jsonwebtoken::get_current_timestamp()))
}
