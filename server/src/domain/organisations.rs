//! Creating organisations and sites.

use super::{Actor, AuditObject, DomainError, permissions, record_audit, required_text};
use crate::db::organisations::{self, Organisation};
use crate::db::sites::{self, Site};
use crate::db::{self, DbConnection};
use crate::model::{OrgId, SiteId, SiteKind, Timestamp};

/// Creates an organisation with its default programme, "Induction"
/// ([`super::programmes::induction`]).
pub fn create(conn: &mut DbConnection, name: &str) -> Result<Organisation, DomainError> {
    let org =
        Organisation { id: OrgId::new_random(), name: required_text("name", name, 200)?, created_at: Timestamp::now() };
    db::write_transaction(conn, |conn| {
        organisations::insert(conn, &org)?;
        crate::db::programmes::insert(conn, &super::programmes::induction(org.id))?;
        Ok::<_, DomainError>(())
    })?;
    Ok(org)
}

/// Adds a site (coordinators and admins); names are unique within an
/// organisation.
pub fn create_site(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    name: &str,
    kind: SiteKind,
) -> Result<Site, DomainError> {
    permissions::manage_organisation(actor.roles)?;
    let site = Site {
        id: SiteId::new_random(),
        org_id,
        name: required_text("name", name, 200)?,
        kind,
        created_at: Timestamp::now(),
    };
    db::write_transaction(conn, |conn| {
        if sites::find_by_name(conn, org_id, &site.name)?.is_some() {
            return Err(DomainError::conflict("site_exists", "the organisation already has a site of this name"));
        }
        sites::insert(conn, &site)?;
        record_audit(
            conn,
            org_id,
            actor,
            "site.created",
            AuditObject::new("site", site.id),
            serde_json::json!({ "name": site.name, "kind": site.kind }),
        )?;
        Ok(site)
    })
}
