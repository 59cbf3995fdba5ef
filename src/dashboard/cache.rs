//! The dashboard page's figures, kept for a short while: a manager reloading the page or
//! a team opening it together costs one computation. The figures are exact when computed;
//! the page says when that was ("as of"). The CSV exports and the lists behind the numbers
//! always compute afresh.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::{filters::Filters, handlers::Figures};

/// How long computed figures are shown before they are computed again.
pub const FIGURES_TTL: Duration = Duration::from_secs(30);
/// At most this many sets of figures are kept (the expired ones go first).
const CAPACITY: usize = 1_000;

#[derive(Default)]
pub struct FiguresCache {
    entries: Mutex<HashMap<String, (Instant, Arc<Figures>)>>,
}

impl FiguresCache {
    /// The figures for these filters (the people they select included) if computed within
    /// the last [`FIGURES_TTL`].
    pub fn get(&self, f: &Filters) -> Option<Arc<Figures>> {
        let entries = self.entries.lock().ok()?;
        let (at, figures) = entries.get(&key(f))?;
        (at.elapsed() < FIGURES_TTL).then(|| figures.clone())
    }

    pub fn put(&self, f: &Filters, figures: Arc<Figures>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY {
            entries.retain(|_, (at, _)| at.elapsed() < FIGURES_TTL);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key(f), (Instant::now(), figures));
    }
}

fn key(f: &Filters) -> String {
    format!("{:?}|{}|{}", f.users, f.query_string(&[]), f.today)
}
