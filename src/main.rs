//! The `medic` binary: installs the TLS provider, then hands over to the CLI.

fn main() -> std::process::ExitCode {
    medic::cli::main()
}
