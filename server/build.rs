//! Only for the tests: `postgres_tests` is set when `TEST_DATABASE_URL` (or CI's
//! `ALONGSIDE_REQUIRE_POSTGRES`) is, so that `tests/cli.rs`, `tests/infra.rs` and the
//! server's unit tests (`db::sql`) report their PostgreSQL
//! tests as ignored, with the reason, instead of passing without running them
//! (libtest cannot skip a test once it runs). The server itself never reads it.

fn set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|value| !value.trim().is_empty())
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=ALONGSIDE_REQUIRE_POSTGRES");
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    if set("TEST_DATABASE_URL") || set("ALONGSIDE_REQUIRE_POSTGRES") {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
