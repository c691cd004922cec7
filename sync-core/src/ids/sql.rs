//! The id newtypes as diesel TEXT values (feature `diesel`, enabled by the server).
//!
//! The server stores ids as TEXT uuids on SQLite and PostgreSQL alike, so a typed
//! column reads back as the newtype, and a stored value that is not a uuid is a
//! deserialization error rather than a row silently skipped. Reading works for any
//! backend that reads TEXT as a `String` (so also for the server's multi-backend
//! connection); writing is per backend, because an id has no string of its own to
//! lend the bind collector.

macro_rules! text_column {
    ($name:ident) => {
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
                Ok(text.parse::<$name>()?)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                out.set_value(self.0.hyphenated().to_string());
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                use std::io::Write as _;
                write!(out, "{}", self.0.hyphenated())?;
                Ok(diesel::serialize::IsNull::No)
            }
        }
    };
}

pub(crate) use text_column;
