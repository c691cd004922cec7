//! Who may do what. Every rule about roles is here, once: the operations of
//! [`crate::domain`] call them (so a caller cannot skip one), and the JSON API
//! and the console call the same functions to decide what to offer or list.
//!
//! - Coordinators and admins manage their organisation: people, sites, the
//!   organisation's devices, the console.
//! - Only coordinators change pairings (create, pause, resume, end), ask for
//!   matching suggestions, create groups, change their members, and set the
//!   confidentiality statement.
//! - Coordinators and admins write programmes, training records and mentor
//!   profiles; everyone reads programmes, a person their own training.
//! - Only admins grant the admin role or change an admin.
//! - Nobody deactivates themselves or withdraws their own coordinator or admin
//!   role, so an organisation cannot lock itself out by accident.
//! - Anyone reads their own record and revokes their own devices; managers
//!   those of anyone in the organisation, except that only admins revoke an
//!   admin's devices (as only admins change admins). Other devices are "not
//!   found".
//! - Managers see the organisation's pairings, everyone else their own; why a
//!   pairing was paused or ended is for managers only.
//!
//! Document access (who may hold a pair document or a journal) follows from
//! pairings and is the sync engine's (`sync::engine`), not a role.

use super::{Actor, DomainError};
use crate::db::devices::Device;
use crate::db::people::Person;
use crate::model::{PersonId, Roles};

/// People, sites, the organisation's devices: coordinators and admins.
pub fn manage_organisation(roles: Roles) -> Result<(), DomainError> {
    if roles.manages_org() { Ok(()) } else { Err(DomainError::forbidden("this needs the coordinator or admin role")) }
}

/// Creating and changing programmes: coordinators and admins. Everyone in the
/// organisation reads them.
pub fn manage_programmes(roles: Roles) -> Result<(), DomainError> {
    manage_organisation(roles)
}

/// Survey results (aggregates of 5 or more respondents, shared text without
/// names): coordinators and admins.
pub fn read_survey_results(roles: Roles) -> Result<(), DomainError> {
    manage_organisation(roles)
}

/// Creating, pausing, resuming and ending pairings: coordinators only (an
/// admin who is not also a coordinator does not).
pub fn change_pairings(roles: Roles) -> Result<(), DomainError> {
    if roles.coordinator {
        Ok(())
    } else {
        Err(DomainError::forbidden("only coordinators pair people or pause, resume or end pairings"))
    }
}

/// Adding a person with `granted` roles.
pub fn add_person(actor: Roles, granted: Roles) -> Result<(), DomainError> {
    manage_organisation(actor)?;
    if granted.admin && !actor.admin {
        return Err(only_admins());
    }
    Ok(())
}

/// What a change to a person does to their access.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessChange {
    /// The full new set of roles, if they change.
    pub roles: Option<Roles>,
    /// Whether the change deactivates the person.
    pub deactivates: bool,
}

/// Changing `current` (their name, roles, line manager, site, start date, or
/// whether they are active).
pub fn change_person(actor: &Actor, current: &Person, change: AccessChange) -> Result<(), DomainError> {
    manage_organisation(actor.roles)?;
    let admin_involved = current.is_admin || change.roles.is_some_and(|r| r.admin);
    if admin_involved && !actor.roles.admin {
        return Err(only_admins());
    }
    if actor.is(current.id) {
        let drops_management =
            change.roles.is_some_and(|r| (current.is_admin && !r.admin) || (current.is_coordinator && !r.coordinator));
        if change.deactivates || drops_management {
            return Err(DomainError::conflict(
                "own_access",
                "you cannot deactivate yourself or withdraw your own coordinator or admin role",
            ));
        }
    }
    Ok(())
}

/// Whether `actor` may deactivate or reactivate `person` (what the console
/// offers on each row of its people page).
pub fn may_change_access(actor: &Actor, person: &Person) -> bool {
    change_person(actor, person, AccessChange { roles: None, deactivates: person.is_active() }).is_ok()
}

/// Reading one person's record.
pub fn read_person(actor: &Actor, person: PersonId) -> Result<(), DomainError> {
    if actor.is(person) { Ok(()) } else { manage_organisation(actor.roles) }
}

/// Seeing (and revoking) a device: its owner's, and managers'. Anyone else is
/// told it does not exist.
pub fn see_device(actor: &Actor, device: &Device) -> bool {
    actor.is(device.person_id) || actor.roles.manages_org()
}

/// Revoking a device `actor` can see ([`see_device`]) whose owner is `owner`:
/// the owner themselves, or a manager; an admin's devices only an admin.
pub fn revoke_device(actor: &Actor, owner: &Person) -> Result<(), DomainError> {
    if actor.is(owner.id) {
        return Ok(());
    }
    manage_organisation(actor.roles)?;
    if owner.is_admin && !actor.roles.admin {
        return Err(only_admins());
    }
    Ok(())
}

/// Whether `GET /v1/mentorships` lists the organisation's pairings rather than
/// the person's own.
pub fn sees_all_pairings(roles: Roles) -> bool {
    roles.manages_org()
}

/// Whether the reasons a pairing was paused or ended are shown.
pub fn sees_pairing_reasons(roles: Roles) -> bool {
    roles.manages_org()
}

/// Whether live updates tell this person which of the organisation's pairings
/// changed (without content).
pub fn watches_programme(roles: Roles) -> bool {
    roles.manages_org()
}

/// The console is for coordinators and admins.
pub fn use_console(roles: Roles) -> Result<(), DomainError> {
    if roles.manages_org() {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "the console is for programme coordinators and administrators; mentors and mentees use the Alongside app",
        ))
    }
}

fn only_admins() -> DomainError {
    DomainError::forbidden("only admins change admins or grant the admin role")
}

/// The audit trail, subject access exports, erasure and retention settings:
/// admins only (governance, not the running of the programme).
pub fn govern(roles: Roles) -> Result<(), DomainError> {
    if roles.admin {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "only admins read the audit trail, export subject access, erase people or set retention",
        ))
    }
}

/// Creating groups and changing their members: coordinators only, as for
/// pairings (membership is what grants access to a group's documents).
pub fn change_groups(roles: Roles) -> Result<(), DomainError> {
    if roles.coordinator {
        Ok(())
    } else {
        Err(DomainError::forbidden("only coordinators create groups or change their members"))
    }
}

/// Seeing every group of the organisation (not only one's own): coordinators
/// and admins.
pub fn see_all_groups(roles: Roles) -> bool {
    roles.manages_org()
}

/// Setting the organisation's confidentiality statement: coordinators only.
pub fn set_confidentiality(roles: Roles) -> Result<(), DomainError> {
    if roles.coordinator {
        Ok(())
    } else {
        Err(DomainError::forbidden("only coordinators set the confidentiality statement"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{OrgId, Role, Timestamp};

    fn person(roles: &[Role]) -> Person {
        let roles = Roles::from_list(roles);
        Person {
            id: PersonId::new_random(),
            org_id: OrgId::new_random(),
            email: "someone@example.org".into(),
            display_name: "Someone".into(),
            is_mentee: roles.mentee,
            is_mentor: roles.mentor,
            is_coordinator: roles.coordinator,
            is_admin: roles.admin,
            line_manager_id: None,
            site_id: None,
            start_date: None,
            password_hash: String::new(),
            created_at: Timestamp::now(),
            deactivated_at: None,
        }
    }

    fn acting(person: &Person) -> Actor {
        Actor::person(person, None)
    }

    fn code(result: Result<(), DomainError>) -> &'static str {
        match result {
            Ok(()) => "ok",
            Err(DomainError::Forbidden { .. }) => "forbidden",
            Err(DomainError::Conflict { code, .. }) => code,
            Err(_) => "other",
        }
    }

    #[test]
    fn only_coordinators_change_pairings() {
        assert_eq!(code(change_pairings(Roles::from_list(&[Role::Coordinator]))), "ok");
        assert_eq!(code(change_pairings(Roles::from_list(&[Role::Admin]))), "forbidden");
        assert_eq!(code(change_pairings(Roles::from_list(&[Role::Mentor]))), "forbidden");
        assert_eq!(code(change_pairings(Actor::system().roles)), "ok");
    }

    #[test]
    fn only_admins_grant_or_change_the_admin_role() {
        let coordinator = Roles::from_list(&[Role::Coordinator]);
        let admin = Roles::from_list(&[Role::Admin]);
        assert_eq!(code(add_person(coordinator, Roles::from_list(&[Role::Mentee]))), "ok");
        assert_eq!(code(add_person(coordinator, admin)), "forbidden");
        assert_eq!(code(add_person(admin, admin)), "ok");
        assert_eq!(code(add_person(Roles::from_list(&[Role::Mentor]), Roles::default())), "forbidden");

        let by_coordinator = acting(&person(&[Role::Coordinator]));
        let an_admin = person(&[Role::Admin]);
        assert_eq!(code(change_person(&by_coordinator, &an_admin, AccessChange::default())), "forbidden");
        let promote = AccessChange { roles: Some(admin), deactivates: false };
        assert_eq!(code(change_person(&by_coordinator, &person(&[Role::Mentor]), promote)), "forbidden");
        assert_eq!(code(change_person(&acting(&person(&[Role::Admin])), &an_admin, promote)), "ok");
    }

    #[test]
    fn nobody_removes_their_own_access() {
        let me = person(&[Role::Coordinator, Role::Admin]);
        let actor = acting(&me);
        let deactivate = AccessChange { roles: None, deactivates: true };
        assert_eq!(code(change_person(&actor, &me, deactivate)), "own_access");
        let drop_admin = AccessChange { roles: Some(Roles::from_list(&[Role::Coordinator])), deactivates: false };
        assert_eq!(code(change_person(&actor, &me, drop_admin)), "own_access");
        let add_mentor = AccessChange {
            roles: Some(Roles::from_list(&[Role::Coordinator, Role::Admin, Role::Mentor])),
            deactivates: false,
        };
        assert_eq!(code(change_person(&actor, &me, add_mentor)), "ok");
        assert!(!may_change_access(&actor, &me));
    }

    #[test]
    fn the_console_offers_access_changes_the_rules_allow() {
        let coordinator = acting(&person(&[Role::Coordinator]));
        assert!(may_change_access(&coordinator, &person(&[Role::Mentee])));
        assert!(!may_change_access(&coordinator, &person(&[Role::Admin])));
        assert!(may_change_access(&acting(&person(&[Role::Admin])), &person(&[Role::Admin])));
        assert!(!may_change_access(&acting(&person(&[Role::Mentor])), &person(&[Role::Mentee])));
    }

    #[test]
    fn only_admins_revoke_an_admins_devices() {
        let admin = person(&[Role::Admin]);
        let coordinator = person(&[Role::Coordinator]);
        assert_eq!(code(revoke_device(&acting(&coordinator), &admin)), "forbidden");
        assert_eq!(code(revoke_device(&acting(&coordinator), &person(&[Role::Mentor]))), "ok");
        assert_eq!(code(revoke_device(&acting(&admin), &person(&[Role::Admin]))), "ok");
        assert_eq!(code(revoke_device(&acting(&admin), &admin)), "ok");
        assert_eq!(code(revoke_device(&acting(&person(&[Role::Mentee])), &admin)), "forbidden");
    }

    #[test]
    fn people_read_themselves_and_managers_read_everyone() {
        let mentor = person(&[Role::Mentor]);
        assert_eq!(code(read_person(&acting(&mentor), mentor.id)), "ok");
        assert_eq!(code(read_person(&acting(&mentor), PersonId::new_random())), "forbidden");
        assert_eq!(code(read_person(&acting(&person(&[Role::Admin])), mentor.id)), "ok");
        assert!(!sees_pairing_reasons(mentor.roles()));
        assert!(sees_pairing_reasons(Roles::from_list(&[Role::Coordinator])));
    }
}
