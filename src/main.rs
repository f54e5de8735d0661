//! The `medic` binary: everything happens in [`medic::cli::main`], which installs the
//! TLS crypto provider first thing.

fn main() -> std::process::ExitCode {
    medic::cli::main()
}
