//! Shared application state handed to every handler.

use std::{ops::Deref, sync::Arc};

use sqlx::PgPool;
use tokio::sync::Semaphore;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

pub struct App {
    pub config: Config,
    pub db: PgPool,
    /// Caps how many argon2 computations run at once: each takes ~19 MiB and tens of
    /// milliseconds of a core, so an unbounded burst of sign-ins could exhaust the machine.
    pub password_hashing: Semaphore,
}

impl AppState {
    pub fn new(config: Config, db: PgPool) -> Self {
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get());
        AppState(Arc::new(App {
            config,
            db,
            password_hashing: Semaphore::new(permits),
        }))
    }
}

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
