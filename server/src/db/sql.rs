//! How the [`crate::model`] values bind on the multi-backend connection. The
//! derived `MultiBackend` is this module's parent's, so these impls live here;
//! each hands the value to whichever real backend runs the query. (Reading needs
//! nothing: the model types read TEXT on any backend.)

use diesel::serialize::{IsNull, Output, ToSql};
use diesel::sql_types::Text;

use super::MultiBackend;
use crate::model::{
    Day, DeviceId, DocumentId, GroupId, MentorshipId, MentorshipStatus, OrgId, PersonId, ProgrammeId, SiteId, SiteKind,
    Timestamp,
};

macro_rules! bind_as_text {
    ($($name:ty),+ $(,)?) => {$(
        impl ToSql<Text, MultiBackend> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> diesel::serialize::Result {
                out.set_value((Text, self));
                Ok(IsNull::No)
            }
        }
    )+};
}

bind_as_text!(
    PersonId,
    MentorshipId,
    DocumentId,
    GroupId,
    OrgId,
    DeviceId,
    SiteId,
    ProgrammeId,
    Timestamp,
    Day,
    MentorshipStatus,
    SiteKind,
);

#[cfg(test)]
mod tests {
    //! Typed values written and read back through each real backend, and stored
    //! text that does not parse refused as an error.

    use diesel::prelude::*;

    use super::*;
    use crate::db::{Db, DbConnection, organisations, people};
    use crate::model::{MentorshipStatus, Roles};

    fn person(org_id: OrgId) -> people::Person {
        let roles = Roles::from_list(&[crate::model::Role::Mentee]);
        people::Person {
            id: PersonId::new_random(),
            org_id,
            email: format!("{}@example.org", uuid::Uuid::new_v4()),
            display_name: "Round Trip".into(),
            is_mentee: roles.mentee,
            is_mentor: roles.mentor,
            is_coordinator: roles.coordinator,
            is_admin: roles.admin,
            line_manager_id: None,
            site_id: Some(SiteId::new_random()),
            start_date: Some("2025-02-28".parse().unwrap()),
            password_hash: "not a hash".into(),
            created_at: "2025-03-01T08:09:10Z".parse().unwrap(),
            deactivated_at: None,
        }
    }

    fn round_trip(conn: &mut DbConnection) {
        let org = organisations::Organisation {
            id: OrgId::new_random(),
            name: format!("Round trip {}", uuid::Uuid::new_v4()),
            created_at: Timestamp::now(),
        };
        organisations::insert(conn, &org).unwrap();
        let back = organisations::find_by_id(conn, org.id).unwrap().unwrap();
        assert_eq!((back.id, back.created_at), (org.id, org.created_at));

        // Foreign keys: the site must exist on both backends.
        let mut written = person(org.id);
        written.site_id = None;
        people::insert(conn, &written).unwrap();
        let read = people::find_by_id(conn, org.id, written.id).unwrap().unwrap();
        assert_eq!(read.id, written.id);
        assert_eq!(read.start_date, written.start_date);
        assert_eq!(read.created_at, written.created_at);
        // The stored text is the documented form, byte for byte.
        let stored: (String, Option<String>, String) = crate::schema::people::table
            .find(written.id)
            .select((crate::schema::people::id, crate::schema::people::start_date, crate::schema::people::created_at))
            .first(conn)
            .unwrap();
        assert_eq!(stored, (written.id.to_string(), Some("2025-02-28".into()), "2025-03-01T08:09:10Z".into()));

        // Comparisons happen on the stored text, which sorts as time does.
        let later: Timestamp = "2025-03-01T08:09:11Z".parse().unwrap();
        let found: i64 = crate::schema::people::table
            .filter(crate::schema::people::created_at.lt(later))
            .filter(crate::schema::people::id.eq(written.id))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(found, 1);

        // Text that is not a uuid, an instant or a status is an error, not a
        // skipped row or a default.
        let broken_name = format!("Broken {}", uuid::Uuid::new_v4());
        diesel::sql_query(format!(
            "INSERT INTO organisations (id, name, created_at) VALUES ('not-a-uuid', '{broken_name}', '2025-01-01T00:00:00Z')"
        ))
        .execute(conn)
        .unwrap();
        let broken = organisations::find_by_name(conn, &broken_name);
        assert!(
            matches!(broken, Err(diesel::result::Error::DeserializationError(_))),
            "a malformed stored id must fail to load: {broken:?}"
        );

        diesel::update(crate::schema::people::table.find(written.id))
            .set(crate::schema::people::created_at.eq("yesterday"))
            .execute(conn)
            .unwrap();
        assert!(matches!(
            people::find_by_id(conn, org.id, written.id),
            Err(diesel::result::Error::DeserializationError(_))
        ));

        // The schema's CHECK keeps bad statuses out; reading one is still refused.
        let status = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("'paused'"))
            .get_result::<MentorshipStatus>(conn)
            .unwrap();
        assert_eq!(status, MentorshipStatus::Paused);
        let unreadable = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("'finished'"))
            .get_result::<MentorshipStatus>(conn);
        assert!(unreadable.is_err(), "an unreadable status is an error, not `ended`");
    }

    #[test]
    fn typed_values_round_trip_through_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("round-trip.sqlite3").display());
        let db = Db::connect(&url, 1).unwrap();
        db.migrate().unwrap();
        round_trip(&mut db.get().unwrap());
    }

    #[test]
    #[cfg_attr(not(postgres_tests), ignore = "PostgreSQL: set TEST_DATABASE_URL to run")]
    fn typed_values_round_trip_through_postgres() {
        let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL names a PostgreSQL server");
        let name = format!("alongside_unit_{}", uuid::Uuid::new_v4().simple());
        let mut server = diesel::PgConnection::establish(&admin).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut server).unwrap();
        let url = match admin.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("TEST_DATABASE_URL has no database name: {admin}"),
        };
        let result = std::panic::catch_unwind(|| {
            let db = Db::connect(&url, 1).unwrap();
            db.migrate().unwrap();
            round_trip(&mut db.get().unwrap());
        });
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut server).unwrap();
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    }
}
