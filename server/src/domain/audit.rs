//! The audit trail: append-only, one hash chain per organisation.
//!
//! Every event stores its place in its organisation's chain (`seq`, from 1), the
//! hash of the organisation's previous event and its own hash, a SHA-256 over
//! the previous hash and every field of the event. Changing, removing or
//! inserting an event in the middle breaks the chain at that event, which
//! [`verify`] reports. Writers of one organisation take turns on the chain's
//! head row (`audit_chain_heads`: `SELECT ... FOR UPDATE` on PostgreSQL; on
//! SQLite the `BEGIN IMMEDIATE` of [`db::write_transaction`] already makes
//! writers take turns), so two concurrent writers can never both extend the
//! same event and fork the chain. Recording is one call ([`record`] for one
//! event, [`record_many`] for a batch written with one insert, as the sync
//! engine does for the changes of a request).

use sha2::{Digest, Sha256};

use super::{Actor, AuditObject, DomainError};
use crate::db::audit_events::{self, AuditEvent};
use crate::db::{self, DbConnection};
use crate::model::{DeviceId, OrgId, PersonId, Timestamp};

/// One event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub actor_person_id: Option<PersonId>,
    pub device_id: Option<DeviceId>,
    pub action: String,
    pub object: AuditObject,
    /// When it happened (for a document change: the change's own time); the
    /// server time is when it is recorded.
    pub event_time: Option<Timestamp>,
    /// A JSON object; never document content.
    pub detail: serde_json::Value,
}

impl NewEvent {
    /// An event by `actor` that happens as it is recorded.
    pub fn by(actor: &Actor, action: &str, object: AuditObject, detail: serde_json::Value) -> Self {
        Self {
            actor_person_id: actor.person_id,
            device_id: actor.device_id,
            action: action.to_owned(),
            object,
            event_time: None,
            detail,
        }
    }
}

/// Appends one event to the organisation's chain.
pub fn record(conn: &mut DbConnection, org_id: OrgId, event: NewEvent) -> Result<(), DomainError> {
    record_many(conn, org_id, vec![event])
}

/// Appends events to the organisation's chain, in order, with one insert.
/// Runs in the caller's transaction when there is one (a savepoint), else in
/// its own.
pub fn record_many(conn: &mut DbConnection, org_id: OrgId, events: Vec<NewEvent>) -> Result<(), DomainError> {
    if events.is_empty() {
        return Ok(());
    }
    db::write_transaction(conn, |conn| append(conn, org_id, events))
}

/// [`record_many`] inside a write transaction the caller has open and that
/// fails as a whole if this fails (a part of sync's group commit): without a
/// savepoint of its own.
pub fn record_many_in_transaction(
    conn: &mut DbConnection,
    org_id: OrgId,
    events: Vec<NewEvent>,
) -> Result<(), DomainError> {
    if events.is_empty() {
        return Ok(());
    }
    append(conn, org_id, events)
}

fn append(conn: &mut DbConnection, org_id: OrgId, events: Vec<NewEvent>) -> Result<(), DomainError> {
    let (mut seq, mut prev) = audit_events::lock_head(conn, org_id)?;
    let now = Timestamp::now();
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        seq += 1;
        let mut row = AuditEvent {
            id: db::new_id(),
            org_id,
            actor_person_id: event.actor_person_id,
            device_id: event.device_id,
            action: event.action,
            object_type: event.object.kind.to_owned(),
            object_id: event.object.id,
            event_time: event.event_time.unwrap_or(now),
            server_time: now,
            detail: event.detail.to_string(),
            seq,
            prev_hash: prev,
            hash: String::new(),
        };
        row.hash = event_hash(&row);
        prev = row.hash.clone();
        rows.push(row);
    }
    audit_events::insert_many(conn, &rows)?;
    audit_events::update_head(conn, org_id, seq, &prev)?;
    Ok(())
}

/// The hash an event must carry: SHA-256 (hex) over a JSON array of the
/// previous hash and every field, so no two events share an encoding.
pub fn event_hash(event: &AuditEvent) -> String {
    let opt = |value: Option<String>| value.unwrap_or_default();
    let fields = serde_json::json!([
        "alongside-audit-v1",
        event.prev_hash,
        event.seq,
        event.id,
        event.org_id.to_string(),
        opt(event.actor_person_id.map(|id| id.to_string())),
        opt(event.device_id.map(|id| id.to_string())),
        event.action,
        event.object_type,
        event.object_id,
        event.event_time.to_string(),
        event.server_time.to_string(),
        event.detail,
    ]);
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Chained events checked.
    pub checked: usize,
    /// Events from before the chain existed (seq 0), not checked.
    pub unchained: usize,
    /// The first event that does not follow from the one before, if any.
    pub first_broken: Option<BrokenLink>,
}

/// An event where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub seq: i64,
    pub event_id: String,
    pub problem: &'static str,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// Walks the organisation's chain from its oldest kept event and reports the
/// first event that was altered, or that does not follow from the one before
/// (a removed or inserted event). The oldest kept event's link to its
/// predecessor is taken as given: retention deletes from the start of the chain
/// (and records how many, and the last deleted hash, in its own event).
pub fn verify(conn: &mut DbConnection, org_id: OrgId) -> Result<Verification, DomainError> {
    let events = audit_events::find_by_org(conn, org_id)?;
    let mut result = Verification { checked: 0, unchained: 0, first_broken: None };
    let mut previous: Option<(i64, String)> = None;
    for event in events {
        if event.seq == 0 {
            result.unchained += 1;
            continue;
        }
        let broken = |problem| Some(BrokenLink { seq: event.seq, event_id: event.id.clone(), problem });
        let problem = match &previous {
            Some((seq, _)) if event.seq != seq + 1 => broken("an event is missing before this one"),
            Some((_, hash)) if &event.prev_hash != hash => broken("it does not carry the previous event's hash"),
            _ if event_hash(&event) != event.hash => broken("its content does not match its hash"),
            _ => None,
        };
        if problem.is_some() {
            result.first_broken = problem;
            return Ok(result);
        }
        result.checked += 1;
        previous = Some((event.seq, event.hash));
    }
    Ok(result)
}

/// One event as the API and the console show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEventView {
    pub seq: i64,
    pub id: String,
    pub action: String,
    pub actor_id: Option<String>,
    pub device_id: Option<String>,
    pub object_type: String,
    pub object_id: String,
    pub event_time: String,
    pub server_time: String,
    /// A JSON object.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

impl From<&AuditEvent> for AuditEventView {
    fn from(e: &AuditEvent) -> Self {
        Self {
            seq: e.seq,
            id: e.id.clone(),
            action: e.action.clone(),
            actor_id: e.actor_person_id.map(|id| id.to_string()),
            device_id: e.device_id.map(|id| id.to_string()),
            object_type: e.object_type.clone(),
            object_id: e.object_id.clone(),
            event_time: e.event_time.to_string(),
            server_time: e.server_time.to_string(),
            detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        }
    }
}

/// A page of events and the cursor of the next one (none at the end).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    pub next_cursor: Option<String>,
}

/// The largest page.
pub const MAX_PAGE: i64 = 500;

/// A page of the organisation's events matching `filter` (admins).
pub fn list(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    filter: &audit_events::EventFilter,
    limit: i64,
) -> Result<AuditPage, DomainError> {
    super::permissions::govern(actor.roles)?;
    let limit = limit.clamp(1, MAX_PAGE);
    let mut events = audit_events::find_page(conn, org_id, filter, limit + 1)?;
    let more = events.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    events.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = if more { events.last().map(|e| e.seq.to_string()) } else { None };
    Ok(AuditPage { events: events.iter().map(AuditEventView::from).collect(), next_cursor })
}

/// Every event matching `filter` as CSV (admins), in chain order.
pub fn csv(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    filter: &audit_events::EventFilter,
) -> Result<String, DomainError> {
    super::permissions::govern(actor.roles)?;
    let mut out = String::from(
        "seq,server_time,event_time,action,actor_id,device_id,object_type,object_id,detail,prev_hash,hash\r\n",
    );
    let mut filter = filter.clone();
    loop {
        let events = audit_events::find_page(conn, org_id, &filter, MAX_PAGE)?;
        for e in &events {
            let fields = [
                e.seq.to_string(),
                e.server_time.to_string(),
                e.event_time.to_string(),
                e.action.clone(),
                e.actor_person_id.map(|id| id.to_string()).unwrap_or_default(),
                e.device_id.map(|id| id.to_string()).unwrap_or_default(),
                e.object_type.clone(),
                e.object_id.clone(),
                e.detail.clone(),
                e.prev_hash.clone(),
                e.hash.clone(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        match events.last() {
            Some(last) if events.len() == usize::try_from(MAX_PAGE).unwrap_or(usize::MAX) => {
                filter.after_seq = Some(last.seq);
            }
            _ => break,
        }
    }
    Ok(out)
}

/// A CSV field (RFC 4180), with a leading `'` on text a spreadsheet would run
/// as a formula.
fn csv_field(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if guarded.contains([',', '"', '\n', '\r']) { format!("\"{}\"", guarded.replace('"', "\"\"")) } else { guarded }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("login"), "login");
        assert_eq!(csv_field(r#"{"a":1,"b":"x"}"#), r#""{""a"":1,""b"":""x""}""#);
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }
}
