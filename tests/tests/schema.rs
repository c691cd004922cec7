//! Both migration sets must produce the same tables and columns, and match the
//! hand-written `server/src/schema.rs`.

// Helpers here panic on purpose: a failed expectation fails the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;

use alongside_server::db::{Db, DbConnection};
use alongside_tests::{Backend, TestDatabase, backend_test};
use diesel::sql_types::{Integer, Text};
use diesel::{QueryableByName, RunQueryDsl};

/// table -> column -> (type, nullable); SQL types when read from a database,
/// diesel types when read from schema.rs.
type Shape = BTreeMap<String, BTreeMap<String, (String, bool)>>;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    r#type: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

/// The diesel types a column's SQL type can be declared as. SQLite has one
/// 64-bit INTEGER storage class, so its INTEGER columns may be declared either way.
fn diesel_types(backend: Backend, sql_type: &str) -> &'static [&'static str] {
    match (backend, sql_type.to_ascii_lowercase().as_str()) {
        (_, "text") => &["Text"],
        (_, "boolean") => &["Bool"],
        (Backend::Sqlite, "integer") => &["Integer", "BigInt"],
        (Backend::Postgres, "integer") => &["Integer"],
        (_, "bigint") => &["BigInt"],
        (Backend::Sqlite, "blob") | (Backend::Postgres, "bytea") => &["Binary"],
        (_, other) => panic!("{backend}: add a mapping for column type {other}"),
    }
}

/// Every difference between the migrated and the declared shape.
fn differences(backend: Backend, migrated: &Shape, declared: &Shape) -> Vec<String> {
    let mut out = Vec::new();
    for table in declared.keys().filter(|t| !migrated.contains_key(*t)) {
        out.push(format!("table {table} is in schema.rs but not migrated"));
    }
    for (table, columns) in migrated {
        let Some(declared_columns) = declared.get(table) else {
            out.push(format!("table {table} is migrated but missing from schema.rs"));
            continue;
        };
        for column in declared_columns.keys().filter(|c| !columns.contains_key(*c)) {
            out.push(format!("{table}.{column} is in schema.rs but not migrated"));
        }
        for (column, (sql_type, nullable)) in columns {
            match declared_columns.get(column) {
                None => out.push(format!("{table}.{column} is migrated but missing from schema.rs")),
                Some((declared_type, declared_nullable)) => {
                    if !diesel_types(backend, sql_type).contains(&declared_type.as_str()) {
                        out.push(format!("{table}.{column}: {sql_type} declared as {declared_type}"));
                    }
                    if nullable != declared_nullable {
                        out.push(format!(
                            "{table}.{column}: nullable is {nullable}, schema.rs says {declared_nullable}"
                        ));
                    }
                }
            }
        }
    }
    out
}

fn migrated_shape(backend: Backend) -> Shape {
    let database = TestDatabase::create(backend);
    let db = Db::connect(&database.url, 1).expect("connect");
    db.migrate().expect("migrate");
    let mut conn = db.get().expect("a connection");
    let mut shape = Shape::new();
    match &mut *conn {
        DbConnection::Sqlite(conn) => {
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
            )
            .load(conn)
            .expect("list tables");
            for table in tables {
                let columns: Vec<SqliteColumn> =
                    diesel::sql_query("SELECT name, type, \"notnull\" FROM pragma_table_info(?)")
                        .bind::<Text, _>(&table.name)
                        .load(conn)
                        .expect("list columns");
                let entry = shape.entry(table.name).or_default();
                for column in columns {
                    entry.insert(column.name, (column.r#type, column.notnull == 0));
                }
            }
        }
        DbConnection::Pg(conn) => {
            let columns: Vec<PgColumn> = diesel::sql_query(
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 AND table_name <> '__diesel_schema_migrations'",
            )
            .load(conn)
            .expect("list columns");
            for column in columns {
                shape
                    .entry(column.table_name)
                    .or_default()
                    .insert(column.column_name, (column.data_type, column.is_nullable == "YES"));
            }
        }
    }
    shape
}

/// Reads the `diesel::table!` blocks of `server/src/schema.rs`.
fn declared_shape() -> Shape {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../server/src/schema.rs");
    let source = std::fs::read_to_string(path).expect("read schema.rs");
    let mut shape = Shape::new();
    let mut current: Option<String> = None;
    for line in source.lines().map(str::trim) {
        // `name (id) {` opens a table's column list.
        if let Some((table, _)) = line.strip_suffix('{').and_then(|l| l.split_once(" (")) {
            current = Some(table.trim().to_owned());
            continue;
        }
        if line == "}" {
            current = None;
        }
        if let (Some(table), Some((column, ty))) = (&current, line.split_once(" -> ")) {
            let ty = ty.trim_end_matches(',');
            let (ty, nullable) = match ty.strip_prefix("Nullable<").and_then(|t| t.strip_suffix('>')) {
                Some(inner) => (inner, true),
                None => (ty, false),
            };
            shape.entry(table.clone()).or_default().insert(column.to_owned(), (ty.to_owned(), nullable));
        }
    }
    shape
}

backend_test! {
    #[test]
    fn migrations_match_schema_rs(backend) {
        let declared = declared_shape();
        assert!(declared.contains_key("people"), "schema.rs parsed: {declared:?}");
        let diff = differences(backend, &migrated_shape(backend), &declared);
        assert!(diff.is_empty(), "{backend} migrations differ from schema.rs:\n{}", diff.join("\n"));
    }
}
