//! The command line: a thin layer over the library.

use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "firedrill", version, about = "Lint ops runbooks and drill the incidents they describe")]
pub struct Cli {}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let _cli = Cli::parse();
    0
}
