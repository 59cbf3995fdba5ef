//! One-time messages shown on the next page a user sees ("Interaction logged.").

use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::{auth::session::session_error, error::Result};

const KEY: &str = "flash";

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FlashKind {
    Success,
    Info,
    Error,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

impl Flash {
    pub fn css_class(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "flash flash-success",
            FlashKind::Info => "flash flash-info",
            FlashKind::Error => "flash flash-error",
        }
    }
}

pub async fn flash(session: &Session, kind: FlashKind, message: impl Into<String>) -> Result<()> {
    let mut flashes: Vec<Flash> = session
        .get(KEY)
        .await
        .map_err(session_error)?
        .unwrap_or_default();
    flashes.push(Flash {
        kind,
        message: message.into(),
    });
    session.insert(KEY, flashes).await.map_err(session_error)
}

pub async fn take(session: &Session) -> Result<Vec<Flash>> {
    // Removing marks the session changed (a write to the store): only when there is
    // something to take.
    if session
        .get_value(KEY)
        .await
        .map_err(session_error)?
        .is_none()
    {
        return Ok(Vec::new());
    }
    Ok(session
        .remove::<Vec<Flash>>(KEY)
        .await
        .map_err(session_error)?
        .unwrap_or_default())
}
