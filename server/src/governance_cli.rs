//! The governance commands of the `alongside` command line: `audit verify`,
//! `sar export` and `retention run` (parsed in [`crate::cli`]).

use std::io::Write;

use crate::cli::{AuditCommand, CliError, RetentionCommand, SarCommand, id_arg, print_line};
use crate::db::DbConnection;
use crate::domain::retention::{self, RunMode};
use crate::domain::{Actor, audit, subject_access};
use crate::model::OrgId;

/// `alongside audit verify --org ORG_ID`: prints how many events were checked;
/// a broken chain is an error naming the first broken event.
pub fn audit(conn: &mut DbConnection, command: AuditCommand, out: &mut impl Write) -> Result<(), CliError> {
    let AuditCommand::Verify { org } = command;
    let org: OrgId = id_arg(&org, "organisation")?;
    crate::db::organisations::find_by_id(conn, org)?.ok_or(crate::domain::DomainError::not_found("organisation"))?;
    let result = audit::verify(conn, org)?;
    if let Some(broken) = result.first_broken {
        return Err(CliError::AuditBroken { seq: broken.seq, event_id: broken.event_id, problem: broken.problem });
    }
    print_line(out, &format!("ok: {} events verified ({} from before the chain)", result.checked, result.unchained));
    Ok(())
}

/// `alongside sar export --person EMAIL --out FILE.zip`: prints the person's id.
pub fn sar(conn: &mut DbConnection, command: SarCommand, out: &mut impl Write) -> Result<(), CliError> {
    let SarCommand::Export { person, org, out: path } = command;
    let org: Option<OrgId> = org.as_deref().map(|org| id_arg(org, "organisation")).transpose()?;
    let person = subject_access::find_by_email(conn, &person, org)?;
    let export = subject_access::export(conn, person.org_id, &Actor::system(), person.id)?;
    std::fs::write(&path, &export.zip).map_err(|source| CliError::Write { path: path.clone(), source })?;
    print_line(out, &export.person_id.to_string());
    Ok(())
}

/// `alongside retention run [--dry-run]`: one line of counts per organisation.
pub fn retention(conn: &mut DbConnection, command: RetentionCommand, out: &mut impl Write) -> Result<(), CliError> {
    let RetentionCommand::Run { dry_run } = command;
    let mode = if dry_run { RunMode::DryRun } else { RunMode::Apply };
    for report in retention::run_all(conn, mode)? {
        print_line(
            out,
            &format!(
                "{} {}: {} pair documents of {} pairings, {} leaver documents, {} audit events, {} devices",
                report.org_id,
                if report.dry_run { "would erase" } else { "erased" },
                report.pair_documents,
                report.pairings,
                report.leaver_documents,
                report.audit_events,
                report.devices_revoked,
            ),
        );
    }
    Ok(())
}
