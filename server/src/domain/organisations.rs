//! Creating organisations and sites.

use crate::db::organisations::{self, Organisation};
use crate::db::sites::{self, Site};
use crate::db::{self, DbConnection};
use crate::domain::{Actor, AuditObject, SiteKind, record_audit, required_text};
use crate::error::ApiError;

pub fn create(conn: &mut DbConnection, name: &str) -> Result<Organisation, ApiError> {
    let org = Organisation { id: db::new_id(), name: required_text("name", name, 200)?, created_at: db::now() };
    organisations::insert(conn, &org)?;
    Ok(org)
}

pub fn create_site(
    conn: &mut DbConnection,
    org_id: &str,
    actor: &Actor,
    name: &str,
    kind: SiteKind,
) -> Result<Site, ApiError> {
    let site = Site {
        id: db::new_id(),
        org_id: org_id.to_owned(),
        name: required_text("name", name, 200)?,
        kind: kind.as_str().to_owned(),
        created_at: db::now(),
    };
    crate::db::write_transaction(conn, |conn| {
        if sites::find_by_name(conn, org_id, &site.name)?.is_some() {
            return Err(ApiError::conflict("site_exists", "the organisation already has a site of this name"));
        }
        sites::insert(conn, &site)?;
        record_audit(
            conn,
            org_id,
            actor,
            "site.created",
            AuditObject { kind: "site", id: &site.id },
            serde_json::json!({ "name": site.name, "kind": site.kind }),
        )?;
        Ok(site)
    })
}
