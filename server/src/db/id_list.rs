//! `column IN (list)` without a statement per list length.
//!
//! Diesel's `eq_any` over a list writes one bind parameter per element, so each
//! list length is a new statement text, prepared anew every time (diesel marks
//! such statements uncacheable). On the sync path that was a preparation per
//! request. Here the whole list is one bind parameter, so the statement text is
//! the same whatever the length and is prepared once per connection: on
//! PostgreSQL `column = ANY($1)` with a text array (diesel's own rendering of
//! `eq_any` on the concrete `Pg` backend), on SQLite `column IN (SELECT value
//! FROM json_each(?))` with a JSON array of the ids' text ([`InJson`]).

use diesel::expression::{AppearsOnTable, Expression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Text};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, SelectableExpression};

/// `column IN (SELECT value FROM json_each(?))`, on SQLite: one bind whatever the
/// number of values, so one cached statement.
#[derive(Debug, Clone, QueryId)]
pub struct InJson<C> {
    column: C,
    json: String,
}

/// `column` is one of `values` (compared as their text), on SQLite.
pub fn in_json<C, T: std::fmt::Display>(column: C, values: &[T]) -> InJson<C> {
    InJson { column, json: json_texts(values) }
}

/// The JSON array of the values' text, for `json_each(?)` in hand-written
/// SQLite statements.
pub fn json_texts<T: std::fmt::Display>(values: &[T]) -> String {
    let texts: Vec<String> = values.iter().map(ToString::to_string).collect();
    // A list of strings always serialises.
    serde_json::to_string(&texts).unwrap_or_else(|_| "[]".to_owned())
}

impl<C: Expression> Expression for InJson<C> {
    type SqlType = Bool;
}

impl<C, QS> AppearsOnTable<QS> for InJson<C> where C: AppearsOnTable<QS> {}

impl<C, QS> SelectableExpression<QS> for InJson<C> where C: SelectableExpression<QS> {}

impl<C: ValidGrouping<()>> ValidGrouping<()> for InJson<C> {
    type IsAggregate = C::IsAggregate;
}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for InJson<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(&self.json)?;
        out.push_sql("))");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The same statement text whatever the list's length, on both backends.

    use diesel::prelude::*;
    use diesel::query_builder::QueryId as _;

    use super::*;
    use crate::model::DocumentId;
    use crate::schema::documents;

    #[test]
    fn one_statement_text_for_any_length() {
        let sql = |n: usize| {
            let ids: Vec<DocumentId> = (0..n).map(|_| DocumentId::new_random()).collect();
            let query = documents::table.filter(in_json(documents::id, &ids)).select(documents::id);
            diesel::debug_query::<Sqlite, _>(&query).to_string().split(" -- ").next().unwrap_or_default().to_owned()
        };
        assert_eq!(sql(1), sql(40));
        assert!(sql(3).contains("json_each"));
        let pg = |n: usize| {
            let ids: Vec<DocumentId> = (0..n).map(|_| DocumentId::new_random()).collect();
            let query = documents::table.filter(documents::id.eq_any(ids)).select(documents::id);
            diesel::debug_query::<diesel::pg::Pg, _>(&query)
                .to_string()
                .split(" -- ")
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(pg(1), pg(40));
        assert!(pg(2).contains("= ANY("));
        // Cacheable by type: a static query id.
        type Q = InJson<documents::id>;
        const { assert!(Q::HAS_STATIC_QUERY_ID) };
    }
}
