//! Decides, when the tests are compiled, which of them can run here, so that one
//! that cannot shows as `ignored` with its reason instead of passing without
//! doing anything (libtest has no way to skip a test once it is running).
//!
//! - `postgres_tests`: `TEST_DATABASE_URL` is set, or `ALONGSIDE_REQUIRE_POSTGRES`
//!   is (CI), in which case the PostgreSQL tests run and fail if they cannot connect.
//! - `browser_tests`: Chromium and chromedriver are installed, or `CI=true`, in
//!   which case the browser test runs and fails without them.

use std::path::Path;

const BROWSER: [&str; 2] = ["/usr/bin/chromedriver", "/usr/bin/chromium"];

fn set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|value| !value.trim().is_empty())
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(browser_tests)");
    for name in ["TEST_DATABASE_URL", "ALONGSIDE_REQUIRE_POSTGRES", "CI"] {
        println!("cargo::rerun-if-env-changed={name}");
    }
    if set("TEST_DATABASE_URL") || set("ALONGSIDE_REQUIRE_POSTGRES") {
        println!("cargo::rustc-cfg=postgres_tests");
    }

    let installed = BROWSER.iter().all(|path| Path::new(path).exists());
    if installed {
        // Removing either one makes this script run again.
        for path in BROWSER {
            println!("cargo::rerun-if-changed={path}");
        }
    } else {
        // A path that does not exist would rerun this script (and rebuild every
        // test) on each build; the folder they are installed into changes when they are.
        println!("cargo::rerun-if-changed=/usr/bin");
    }
    if installed || std::env::var("CI").is_ok_and(|v| v == "true") {
        println!("cargo::rustc-cfg=browser_tests");
    }
}
