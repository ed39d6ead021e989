//! The `territoires` binary: parses the command line and maps the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use mimalloc::MiMalloc;
use territoires::cli::{self, Cli};

/// Answering a GraphQL request allocates and frees many small values (one per field);
/// mimalloc does that with far fewer instructions than the system allocator (see
/// bench/profile.sh).
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // reqwest (the alert webhook) is built without a default TLS crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    territoires::telemetry::init(cli.log_format);
    match cli::run(cli).await {
        Ok(code) => code,
        Err(error) => {
            tracing::error!(error = %error, "territoires stopped");
            // Administrators read this line; the code stays English for scripts and searches.
            eprintln!("erreur : {} [{}]", error.in_french(), error.code());
            ExitCode::from(error.exit_code())
        }
    }
}
