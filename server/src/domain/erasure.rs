//! Erasing a person (`POST /v1/people/{id}/erase`, admins): the right to
//! erasure, within what a care provider must keep.
//!
//! The person is deactivated (every device revoked, so their phones wipe), their
//! own documents (the journal, survey responses with their projected scores;
//! concerns when they exist) are erased at once, leaving tombstones, and their name and email are replaced
//! by a pseudonym in the records that must stay (the person row that pairings,
//! stored changes and audit events point to). Audit events name people by id
//! only, so they now show the pseudonym; their details never held a name. Pair
//! documents stay: they are the partner's record too, and the retention
//! schedule erases them.

use serde::Serialize;
use utoipa::ToSchema;

use super::people::{self as people_ops, PersonUpdate};
use super::{Actor, AuditObject, DomainError, permissions, record_audit};
use crate::db::governance as governance_db;
use crate::db::{self, DbConnection, people};
use crate::model::{OrgId, PersonId, Timestamp};

/// What an erasure did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErasureReport {
    #[schema(value_type = String)]
    pub person_id: PersonId,
    /// The name the person's records now carry.
    pub pseudonym: String,
    pub documents_erased: usize,
}

/// The name an erased person's records carry.
pub fn pseudonym(id: PersonId) -> String {
    let id = id.to_string();
    format!("Erased person {}", &id[..8.min(id.len())])
}

/// Erases `id` (see the module doc).
pub fn erase_person(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    id: PersonId,
) -> Result<ErasureReport, DomainError> {
    permissions::govern(actor.roles)?;
    if actor.is(id) {
        return Err(DomainError::conflict("own_access", "you cannot erase yourself"));
    }
    db::write_transaction(conn, |conn| {
        let person = people::find_by_id(conn, org_id, id)?.ok_or_else(|| DomainError::not_found("person"))?;
        // Documents first, the audit chain's lock (taken by the deactivation's
        // events) after: the order a sync takes them in, so the two cannot deadlock.
        let now = Timestamp::now();
        let owned = governance_db::find_owned_docs(conn, org_id, &[id])?;
        for doc in &owned {
            super::retention::erase(conn, org_id, doc, "erasure", now)?;
        }
        if person.is_active() {
            people_ops::update(
                conn,
                org_id,
                actor,
                id,
                &PersonUpdate { active: Some(false), ..PersonUpdate::default() },
            )?;
        }
        let pseudonym = pseudonym(id);
        let email = format!("erased-{id}@erased.invalid");
        // Not a PHC string: no password can ever match it.
        governance_db::pseudonymise_person(conn, org_id, id, &pseudonym, &email, "!erased")?;
        record_audit(
            conn,
            org_id,
            actor,
            "person.erased",
            AuditObject::new("person", id),
            serde_json::json!({ "documents_erased": owned.len(), "pseudonym": pseudonym }),
        )?;
        Ok(ErasureReport { person_id: id, pseudonym, documents_erased: owned.len() })
    })
}
