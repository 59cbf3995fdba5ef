//! The `prospector` command: serve the app, run the scheduler, migrate, seed demo data,
//! manage users and API tokens.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use prospector::{
    config::Config, mail, scheduler::Scheduler, seed, startup, state::AppState, users,
};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use tracing_subscriber::{EnvFilter, layer::SubscriberExt as _, util::SubscriberInitExt as _};

#[derive(Parser)]
#[command(
    name = "prospector",
    version,
    about = "Sales prospecting as a process, not an event."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations and serve the web application (the default).
    Serve,
    /// Run the scheduler alone, without the web server, until Ctrl-C or SIGTERM.
    /// (`serve` runs one too; any number may run at once.)
    Worker {
        /// Run a single pass over the due work, print what it did and exit.
        #[arg(long)]
        once: bool,
        /// With --once: run the pass as if the clock read this RFC 3339 time,
        /// e.g. 2026-07-01T09:00:00Z.
        #[arg(long, requires = "once", value_name = "RFC 3339 TIME", value_parser = parse_rfc3339)]
        at: Option<OffsetDateTime>,
    },
    /// Apply pending migrations, creating the database if needed.
    Migrate,
    /// Fill the database with sample data.
    Seed {
        /// The demo workspace: one team, five logins, ~300 prospects with their history.
        #[arg(long, conflicts_with = "scale")]
        demo: bool,
        /// A large organisation for the benchmarks, into an empty database: by default 500
        /// reps in 50 teams, 200,000 accounts, 1,000,000 prospects and 10,000,000
        /// interactions over two years.
        #[arg(long)]
        scale: bool,
        #[arg(long, requires = "scale", default_value_t = 500)]
        reps: usize,
        #[arg(long, requires = "scale", default_value_t = 50)]
        teams: usize,
        #[arg(long, requires = "scale", default_value_t = 200_000)]
        accounts: usize,
        #[arg(long, requires = "scale", default_value_t = 1_000_000)]
        prospects: usize,
        #[arg(long, requires = "scale", default_value_t = 10_000_000)]
        interactions: usize,
    },
    /// The dashboard's rollups.
    Rollups {
        #[command(subcommand)]
        command: RollupsCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage personal API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it (it is shown only this once).
    Create {
        /// The email of the (active) user the token acts as.
        #[arg(long)]
        user: String,
        /// What the token is for, as the user's profile page lists it.
        #[arg(long, default_value = "Created on the command line")]
        name: String,
    },
}

#[derive(Subcommand)]
enum RollupsCommand {
    /// Compare every rollup and derived column with a full scan of the source rows, and
    /// check the product's rules (future interest is not left on a pursue cadence); slow
    /// on a large database; exits non-zero if any differs or is broken.
    Verify,
    /// Recompute every rollup and derived column from the source rows.
    Rebuild,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from PROSPECTOR_PASSWORD or asked for.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["rep", "manager", "admin"])]
        role: String,
        /// Team name; created if it does not exist.
        #[arg(long)]
        team: Option<String>,
        /// IANA time zone, e.g. Europe/Paris.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::registry()
        .with(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("prospector=info,tower_http=info,sqlx=warn")),
        )
        // The log goes to standard error: standard output is a command's answer alone
        // (`token create` prints only the token, for scripts to capture).
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .init();

    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let db = startup::connect(&config).await?;
    startup::migrate(&db).await?;

    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let listener = tokio::net::TcpListener::bind(config.addr)
                .await
                .with_context(|| format!("cannot listen on PROSPECTOR_ADDR={}", config.addr))?;
            tracing::info!("Prospector is listening on {}", config.base_url);
            startup::serve(AppState::new(config, db), listener).await
        }
        Command::Worker { once: false, .. } => {
            let mail = mail::Sender::from_config(db.clone(), &config)?;
            Scheduler::new(db)
                .with_mail(mail)
                .with_base_url(config.base_url.clone())
                .run(startup::shutdown_signal())
                .await;
            Ok(())
        }
        Command::Worker { once: true, at } => {
            let now = at.unwrap_or_else(OffsetDateTime::now_utc);
            let mail = mail::Sender::from_config(db.clone(), &config)?;
            let report = Scheduler::new(db)
                .with_mail(mail)
                .with_base_url(config.base_url.clone())
                .run_once(now)
                .await?;
            println!("Pass at {}: {report}.", now.format(&Rfc3339)?);
            Ok(())
        }
        Command::Migrate => {
            println!("Migrations are up to date.");
            Ok(())
        }
        Command::Seed {
            demo,
            scale,
            reps,
            teams,
            accounts,
            prospects,
            interactions,
        } => {
            let state = AppState::new(config, db);
            if scale {
                let sizes = seed::scale::Sizes {
                    reps,
                    teams,
                    accounts,
                    prospects,
                    interactions,
                };
                let report = seed::scale::seed(&state, &sizes, true).await?;
                println!("Wrote the scale organisation:\n{report}");
                return Ok(());
            }
            anyhow::ensure!(
                demo,
                "say which data to seed: `prospector seed --demo` or `prospector seed --scale`"
            );
            let report = seed::demo::seed(&state).await?;
            println!("{report}");
            Ok(())
        }
        Command::Rollups {
            command: RollupsCommand::Verify,
        } => {
            let mut found = prospector::dashboard::rollups::discrepancies(&db).await?;
            found.extend(prospector::dashboard::rollups::broken_rules(&db).await?);
            anyhow::ensure!(found.is_empty(), "{}", found.join("\n"));
            println!(
                "Every rollup and derived column agrees with a full scan, and every rule holds."
            );
            Ok(())
        }
        Command::Rollups {
            command: RollupsCommand::Rebuild,
        } => {
            prospector::dashboard::rollups::refresh_all(&db).await?;
            println!("Rebuilt the rollups and derived columns from the source rows.");
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { user, name },
        } => create_token(&db, &user, &name).await,
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    role,
                    team,
                    time_zone,
                },
        } => {
            let password = match std::env::var("PROSPECTOR_PASSWORD") {
                Ok(password) => password,
                Err(_) => rpassword::prompt_password(format!("Password for {email}: "))
                    .context("reading the password (or set PROSPECTOR_PASSWORD)")?,
            };
            let state = AppState::new(config, db);
            let role = users::Role::parse(&role).context("role must be rep, manager or admin")?;
            let team_id = match team {
                Some(team) => {
                    let mut conn = state.db.acquire().await?;
                    Some(users::db::ensure_team(&mut conn, team.trim()).await?)
                }
                None => None,
            };
            let input = users::create::NewUserInput {
                email: &email,
                name: &name,
                role,
                team_id,
                time_zone: &time_zone,
                password: Some(&password),
            };
            match users::create::create_user(&state, input).await? {
                Ok(id) => {
                    println!("Created {role} {email} (id {id}).");
                    Ok(())
                }
                Err(errors) => {
                    let problems: Vec<String> = errors
                        .messages()
                        .map(|(field, msg)| format!("{field}: {msg}"))
                        .collect();
                    anyhow::bail!("the user was not created: {}", problems.join("; "))
                }
            }
        }
    }
}

async fn create_token(db: &sqlx::PgPool, email: &str, name: &str) -> anyhow::Result<()> {
    let name =
        prospector::tokens::db::parse_name(name).map_err(|why| anyhow::anyhow!("--name: {why}"))?;
    let user_id = sqlx::query_scalar!(
        "select id from users where email = $1 and active",
        email.trim()
    )
    .fetch_optional(db)
    .await?
    .with_context(|| format!("there is no active user with the email {}", email.trim()))?;
    let mut conn = db.acquire().await?;
    let issued = prospector::tokens::db::issue(&mut conn, user_id, &name).await?;
    eprintln!(
        "Created API token {:?} for {}. It is shown only this once:",
        name,
        email.trim()
    );
    println!("{}", issued.token);
    Ok(())
}

fn parse_rfc3339(raw: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(raw.trim(), &Rfc3339)
        .map_err(|err| format!("{err}; expected an RFC 3339 time such as 2026-07-01T09:00:00Z"))
}
