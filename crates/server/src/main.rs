//! `reset-server`: serve the API, migrate the database, seed or import customers, add staff.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use reset_server::clock::{os_rng, Clock, SystemClock};
use reset_server::evidence::{load_vault, rotate, Vault};
use reset_server::hashing::Hasher;
use reset_server::server::{build_state, serve_until, BoxError};
use reset_server::store::Db;
use reset_server::{admin, Settings};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "reset-server",
    version,
    about = "The forgot-login-password reset server"
)]
struct Cli {
    /// TOML config file; `RESET_*` variables and flags override it.
    #[arg(long, global = true, env = "RESET_CONFIG")]
    config: Option<PathBuf>,
    /// `sqlite://reset.db` (default) or `postgres://…`.
    #[arg(long, global = true, env = "RESET_DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        #[arg(long, env = "RESET_LISTEN")]
        listen: Option<String>,
        /// Development SMS inbox and demo customers.
        #[arg(long)]
        dev: bool,
    },
    /// Apply the database migrations.
    Migrate,
    /// Add the demo customers.
    SeedDemo,
    /// Customers.
    Customer {
        #[command(subcommand)]
        command: CustomerCommand,
    },
    /// Staff logins for the review console.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// The evidence vault's master keys.
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
}

#[derive(Subcommand)]
enum CustomerCommand {
    /// Import `id_type,id_number,name,reserved_phone,password` rows (with a header).
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum VaultCommand {
    /// Print a new `id:hex` master-key line, to append to the key file.
    NewKey {
        #[arg(long)]
        id: String,
    },
    /// Re-wrap every case's data key with the current (last) master key.
    Rotate,
}

#[derive(Subcommand)]
enum StaffCommand {
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, env = "RESET_STAFF_PASSWORD")]
        password: String,
        #[arg(long, value_parser = ["reviewer", "supervisor"])]
        role: String,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            EnvFilter::try_from_env("RESET_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("reset-server: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), BoxError> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    if let Some(url) = cli.database_url {
        settings.database_url = url;
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let rng = os_rng();
    match cli.command {
        Command::Serve { listen, dev } => {
            if let Some(listen) = listen {
                settings.listen = listen;
            }
            settings.dev |= dev;
            let listener = tokio::net::TcpListener::bind(&settings.listen).await?;
            let state = build_state(settings, clock, rng).await?;
            serve_until(state, listener, shutdown_signal()).await?;
        }
        Command::Vault {
            command: VaultCommand::NewKey { id },
        } => println!("{}", Vault::new_key_line(&id, &rng)?),
        Command::Vault {
            command: VaultCommand::Rotate,
        } => {
            let db = Db::connect(&settings.database_url, 2).await?;
            db.migrate().await?;
            let folder = settings.evidence.folder(&settings.database_url);
            let vault = load_vault(&settings.evidence, &folder, false, &rng)?;
            let done = rotate::rotate(&db, &vault, &rng).await?;
            println!(
                "re-wrapped {} case keys with master key {:?}",
                done.rewrapped,
                vault.current_id()
            );
            for (key_id, n) in rotate::remaining(&db, &vault).await? {
                println!("still wrapped by {key_id:?}: {n} (that key is not configured)");
            }
        }
        command => {
            let db = Db::connect(&settings.database_url, 2).await?;
            db.migrate().await?;
            let hasher = Hasher::new(&settings.hashing, rng).map_err(Box::new)?;
            let now = clock.now();
            match command {
                Command::Migrate => println!("migrated"),
                Command::SeedDemo => admin::seed_demo(&db, &hasher, now).await?,
                Command::Customer {
                    command: CustomerCommand::Import { file },
                } => {
                    let n = admin::import_csv(&db, &hasher, now, &file).await?;
                    println!("imported {n} customers");
                }
                Command::Staff {
                    command:
                        StaffCommand::Add {
                            username,
                            password,
                            role,
                        },
                } => admin::add_staff(&db, &hasher, now, &username, &password, &role).await?,
                Command::Serve { .. } | Command::Vault { .. } => unreachable!("handled above"),
            }
        }
    }
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
