//! The `alongside` binary; everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    alongside_server::cli::main()
}
