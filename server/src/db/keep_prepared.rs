//! Statements kept prepared that diesel would prepare anew at every run.
//!
//! Diesel keeps a statement prepared only when its SQL cannot vary with the
//! values bound, and it never takes that on trust for an `UPDATE`, an upsert
//! (`ON CONFLICT ... DO UPDATE`), an insert with optional columns or a
//! `sql_query`. On the sync path those ran on every request, and parsing and
//! planning them was a tenth of the server's CPU (BENCHMARKS.md). Wrapped in
//! [`KeepPrepared`], a statement is kept in the connection's statement cache
//! under its SQL text (never under its Rust type, so a statement whose SQL does
//! vary is still right, one cache entry per variant): use it where the variants
//! are few, never for lists of any length.
//!
//! Only a query that is loaded (`load`, `get_result`) is asked itself whether
//! it may be cached; `execute` asks a reference to it, which diesel answers by
//! walking the inner statement. So a write is kept prepared by giving it a
//! `RETURNING` clause and loading it: [`run_kept!`].

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::RunQueryDsl;

/// `query`, kept prepared by its SQL text.
#[derive(Debug, Clone, Copy)]
pub struct KeepPrepared<Q>(pub Q);

impl<Q, DB> QueryFragment<DB> for KeepPrepared<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for KeepPrepared<Q> {
    type QueryId = ();
    // Never keyed by type: the cache key is the SQL text and the bind types.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for KeepPrepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> RunQueryDsl<Conn> for KeepPrepared<Q> {}

/// Run `statement` (which has a `RETURNING` clause of SQL type `returned`
/// reads as) kept prepared on whichever backend `conn` is; how many rows it
/// returned, i.e. wrote.
macro_rules! run_kept {
    ($conn:expr, $statement:expr, $returned:ty) => {
        match $conn {
            $crate::db::DbConnection::Sqlite(conn) => {
                $crate::db::keep_prepared::KeepPrepared($statement).load::<$returned>(conn).map(|rows| rows.len())
            }
            $crate::db::DbConnection::Pg(conn) => {
                $crate::db::keep_prepared::KeepPrepared($statement).load::<$returned>(conn).map(|rows| rows.len())
            }
        }
    };
}
pub(crate) use run_kept;
