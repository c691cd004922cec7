//! Retention: how long an organisation keeps what, and the run that applies it.
//!
//! - Pair documents (sessions, goal plans) are erased N years after their
//!   pairing ended or completed (default 6).
//! - A leaver's own documents (their journal, their survey responses and the
//!   scores projected from them, the concerns they raised) are erased N days
//!   after they were deactivated (default 30). Concerns about a pairing also go
//!   with the pairing's documents, whoever raised them.
//! - Audit events are deleted N years after they were recorded (default 8).
//! - Devices not seen for N days are revoked (default 90), so a lost phone
//!   wipes itself on its next sync.
//!
//! An erased document leaves a tombstone (id, kind, when, why): phones holding
//! it are told to purge it on their next sync, and a re-upload is refused with
//! `erased` (see `sync::engine`). Every run, dry or not, is audited with its
//! counts. `alongside retention run` and the server's daily task call [`run`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Actor, AuditObject, DomainError, permissions, record_audit};
use crate::db::governance::{self as governance_db, RetentionRow, StoredDoc, Tombstone};
use crate::db::{self, DbConnection, audit_events};
use crate::model::{Day, DocumentId, OrgId, Timestamp};

/// An organisation's retention periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RetentionPolicy {
    /// Years a pairing's documents are kept after it ended or completed.
    pub pair_document_years: u32,
    /// Days a leaver's journal (and survey responses) are kept after they left.
    pub leaver_days: u32,
    /// Years audit events are kept.
    pub audit_years: u32,
    /// Days after which a device not seen is revoked.
    pub device_inactive_days: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self { pair_document_years: 6, leaver_days: 30, audit_years: 8, device_inactive_days: 90 }
    }
}

const MAX_YEARS: u32 = 100;
const MAX_DAYS: u32 = 36_500;

impl RetentionPolicy {
    fn validate(&self) -> Result<(), DomainError> {
        let check = |field: &str, value: u32, max: u32| {
            if value > max {
                Err(DomainError::invalid("invalid_retention", format!("`{field}` must be between 0 and {max}")))
            } else {
                Ok(())
            }
        };
        check("pair_document_years", self.pair_document_years, MAX_YEARS)?;
        check("leaver_days", self.leaver_days, MAX_DAYS)?;
        check("audit_years", self.audit_years, MAX_YEARS)?;
        check("device_inactive_days", self.device_inactive_days, MAX_DAYS)
    }

    fn from_row(row: &RetentionRow) -> Self {
        let n = |v: i32| u32::try_from(v).unwrap_or(0);
        Self {
            pair_document_years: n(row.pair_document_years),
            leaver_days: n(row.leaver_days),
            audit_years: n(row.audit_years),
            device_inactive_days: n(row.device_inactive_days),
        }
    }
}

/// The organisation's policy (the defaults until an admin sets one), without a
/// permission check: for the run.
pub fn policy_of(conn: &mut DbConnection, org_id: OrgId) -> Result<RetentionPolicy, DomainError> {
    Ok(governance_db::find_retention(conn, org_id)?.as_ref().map(RetentionPolicy::from_row).unwrap_or_default())
}

/// The organisation's policy, for admins.
pub fn get(conn: &mut DbConnection, org_id: OrgId, actor: &Actor) -> Result<RetentionPolicy, DomainError> {
    permissions::govern(actor.roles)?;
    policy_of(conn, org_id)
}

/// Sets the organisation's policy (admins); audited.
pub fn set(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    policy: RetentionPolicy,
) -> Result<RetentionPolicy, DomainError> {
    permissions::govern(actor.roles)?;
    policy.validate()?;
    let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    db::write_transaction(conn, |conn| {
        governance_db::upsert_retention(
            conn,
            &RetentionRow {
                org_id,
                pair_document_years: n(policy.pair_document_years),
                leaver_days: n(policy.leaver_days),
                audit_years: n(policy.audit_years),
                device_inactive_days: n(policy.device_inactive_days),
                updated_at: Timestamp::now(),
            },
        )?;
        record_audit(
            conn,
            org_id,
            actor,
            "retention.settings_changed",
            AuditObject::new("organisation", org_id),
            serde_json::to_value(policy).unwrap_or_default(),
        )?;
        Ok(policy)
    })
}

/// Whether a run changes anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    Apply,
    /// Counts what would go, changes nothing (but is audited).
    DryRun,
}

/// What one organisation's run did (or would do).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunReport {
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub dry_run: bool,
    /// Pairings whose documents were erased.
    pub pairings: usize,
    pub pair_documents: usize,
    pub leaver_documents: usize,
    pub audit_events: usize,
    pub devices_revoked: usize,
    /// The erased documents' ids.
    #[schema(value_type = Vec<String>)]
    pub erased: Vec<DocumentId>,
}

/// `date` minus `years` calendar years (29 February becomes 28 February).
fn years_before(date: time::Date, years: u32) -> time::Date {
    let year = date.year() - i32::try_from(years).unwrap_or(i32::MAX / 2);
    date.replace_year(year)
        .or_else(|_| date.replace_day(28).and_then(|d| d.replace_year(year)))
        .unwrap_or(time::Date::MIN)
}

/// Applies the organisation's policy as of `now`, in one transaction.
pub fn run(conn: &mut DbConnection, org_id: OrgId, mode: RunMode, now: Timestamp) -> Result<RunReport, DomainError> {
    let policy = policy_of(conn, org_id)?;
    let actor = Actor::system();
    db::write_transaction(conn, |conn| {
        let today = now.day();
        let pair_cutoff = Day::from(years_before(today.date(), policy.pair_document_years));
        let ended = governance_db::find_pairings_ended_by(conn, org_id, pair_cutoff)?;
        let mut pair_docs = governance_db::find_docs_of_pairings(conn, &ended)?;
        // Concerns about those pairings go with the pairing's documents (they are
        // the author's, so they are not in the pairing's own list).
        let concern_ids = crate::db::concerns::find_ids_about(conn, &ended)?;
        pair_docs.extend(governance_db::find_docs_by_ids(conn, org_id, &concern_ids)?);
        let pairings: std::collections::BTreeSet<_> = pair_docs.iter().filter_map(|d| d.mentorship_id).collect();

        let leaver_cutoff = now - std::time::Duration::from_secs(u64::from(policy.leaver_days) * 86_400);
        let leavers = governance_db::find_leavers_before(conn, org_id, leaver_cutoff)?;
        let leaver_docs = governance_db::find_owned_docs(conn, org_id, &leavers)?;

        let device_cutoff = now - std::time::Duration::from_secs(u64::from(policy.device_inactive_days) * 86_400);
        let idle_devices = governance_db::find_devices_idle_since(conn, org_id, device_cutoff)?;

        let audit_cutoff =
            Timestamp::from(now.to_offset().replace_date(years_before(now.to_offset().date(), policy.audit_years)));

        let mut report = RunReport {
            org_id,
            dry_run: mode == RunMode::DryRun,
            pairings: pairings.len(),
            pair_documents: pair_docs.len(),
            leaver_documents: leaver_docs.len(),
            audit_events: 0,
            devices_revoked: idle_devices.len(),
            erased: pair_docs.iter().chain(&leaver_docs).map(|d| d.id).collect(),
        };
        let mut last_deleted_hash = None;
        if mode == RunMode::Apply {
            for doc in &pair_docs {
                erase(conn, org_id, doc, "retention: pairing ended", now)?;
            }
            for doc in &leaver_docs {
                erase(conn, org_id, doc, "retention: owner left", now)?;
            }
            for id in &idle_devices {
                if let Some(device) = db::devices::find_by_id(conn, *id)? {
                    super::devices::revoke(conn, &device, &actor)?;
                }
            }
            let (deleted, last) = audit_events::delete_older_than(conn, org_id, audit_cutoff)?;
            report.audit_events = deleted;
            last_deleted_hash = last;
        }
        record_audit(
            conn,
            org_id,
            &actor,
            if mode == RunMode::Apply { "retention.run" } else { "retention.dry_run" },
            AuditObject::new("organisation", org_id),
            serde_json::json!({
                "policy": policy,
                "pairings": report.pairings,
                "pair_documents": report.pair_documents,
                "leaver_documents": report.leaver_documents,
                "devices_revoked": if mode == RunMode::Apply { report.devices_revoked } else { 0 },
                "devices_idle": report.devices_revoked,
                "audit_events_deleted": report.audit_events,
                "last_deleted_audit_hash": last_deleted_hash,
            }),
        )?;
        Ok(report)
    })
}

/// [`run`] for every organisation.
pub fn run_all(conn: &mut DbConnection, mode: RunMode) -> Result<Vec<RunReport>, DomainError> {
    let now = Timestamp::now();
    let mut reports = Vec::new();
    for org_id in governance_db::find_org_ids(conn)? {
        reports.push(run(conn, org_id, mode, now)?);
    }
    Ok(reports)
}

/// Deletes one stored document and leaves its tombstone.
pub(crate) fn erase(
    conn: &mut DbConnection,
    org_id: OrgId,
    doc: &StoredDoc,
    reason: &str,
    now: Timestamp,
) -> Result<(), DomainError> {
    governance_db::erase_document(
        conn,
        &Tombstone {
            id: doc.id,
            org_id,
            kind: doc.kind.clone(),
            mentorship_id: doc.mentorship_id,
            owner_id: doc.owner_id,
            erased_at: now,
            reason: reason.to_owned(),
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::{RetentionPolicy, years_before};

    #[test]
    fn years_are_calendar_years_and_leap_days_fall_back() {
        assert_eq!(years_before(date!(2026 - 12 - 01), 6), date!(2020 - 12 - 01));
        assert_eq!(years_before(date!(2028 - 02 - 29), 1), date!(2027 - 02 - 28));
        assert_eq!(years_before(date!(2026 - 12 - 01), 0), date!(2026 - 12 - 01));
    }

    #[test]
    fn defaults_are_the_issue_s_and_out_of_range_values_are_refused() {
        assert_eq!(
            RetentionPolicy::default(),
            RetentionPolicy { pair_document_years: 6, leaver_days: 30, audit_years: 8, device_inactive_days: 90 }
        );
        let silly = RetentionPolicy { audit_years: 1000, ..RetentionPolicy::default() };
        assert!(silly.validate().is_err());
    }
}
