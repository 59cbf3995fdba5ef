//! What every page shares: the layout (user, navigation, CSRF token, flash messages),
//! form errors, and the formatting of dates and money for people.

pub mod cursor;
pub mod error_page;
pub mod extract;
pub mod flash;
pub mod form;
pub mod format;

pub use error_page::ErrorPage;
pub use flash::{Flash, FlashKind, flash};
pub use form::FormErrors;

use axum::{extract::FromRequestParts, http::request::Parts};

use crate::{
    auth::{self, CurrentUser},
    error::{AppError, Result},
    state::AppState,
};

/// The frame around every page. Handlers that render a page take it as an extractor.
#[derive(Default)]
pub struct Layout {
    pub user: Option<CurrentUser>,
    pub csrf_token: String,
    pub flashes: Vec<Flash>,
    /// The request path, to mark the current navigation entry.
    pub path: String,
}

impl Layout {
    pub fn section_is(&self, prefix: &str) -> bool {
        self.path == prefix || self.path.starts_with(&format!("{prefix}/"))
    }
}

impl FromRequestParts<AppState> for Layout {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let user = auth::session::current_user(parts, state).await?;
        let session = auth::session::session_from_parts(parts, state).await?;
        let csrf_token = auth::csrf::token(&session).await?;
        let flashes = flash::take(&session).await?;
        Ok(Layout {
            user,
            csrf_token,
            flashes,
            path: parts.uri.path().to_string(),
        })
    }
}

/// Formatting in the viewer's time zone, for templates: `layout.datetime(ts)`.
impl Layout {
    pub fn time_zone(&self) -> &str {
        self.user.as_ref().map_or("UTC", |u| u.time_zone.as_str())
    }

    pub fn datetime(&self, ts: impl Value<time::OffsetDateTime>) -> String {
        format::datetime(ts.value(), self.time_zone())
    }

    pub fn date(&self, d: impl Value<time::Date>) -> String {
        format::date(d.value())
    }

    pub fn money(&self, cents: impl Value<i64>) -> String {
        format::money(cents.value())
    }

    pub fn today(&self) -> time::Date {
        format::today(self.time_zone())
    }

    pub fn relative(&self, d: impl Value<time::Date>) -> String {
        format::relative_date(d.value(), self.today())
    }
}

/// A value a template may hold directly or behind references (askama adds them in
/// loops and `if let` bindings), so the formatting helpers accept all of those.
pub trait Value<T> {
    fn value(&self) -> T;
}

macro_rules! template_value {
    ($($t:ty),*) => {$(
        impl Value<$t> for $t { fn value(&self) -> $t { *self } }
        impl Value<$t> for &$t { fn value(&self) -> $t { **self } }
        impl Value<$t> for &&$t { fn value(&self) -> $t { ***self } }
    )*};
}
template_value!(i64, time::Date, time::OffsetDateTime);
