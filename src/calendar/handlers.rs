//! `GET /calendar/{secret}.ics`: the feed itself. Creating and revoking it is on the
//! profile page (`profile`).

use crate::web::extract::Path;
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use time::{Duration, OffsetDateTime};

use super::{db, ics};
use crate::{
    error::{AppError, Result},
    state::AppState,
};

/// How far back and ahead a feed reaches: recent meetings for context, and the touches
/// of the coming months (older open touches are overdue work, on the Today page).
/// Re-engage dates are in whatever their date.
const PAST: Duration = Duration::days(60);
const AHEAD: Duration = Duration::days(120);

pub async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response> {
    let token = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    let subscriber = db::subscriber(&state.db, token)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = OffsetDateTime::now_utc();
    let contents = db::entries(
        &state.db,
        subscriber.user_id,
        &subscriber.time_zone,
        now - PAST,
        now + AHEAD,
    )
    .await?;
    let body = ics::render(
        &contents,
        &subscriber.name,
        &subscriber.time_zone,
        &state.config.base_url,
        now,
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"prospector.ics\"",
            ),
            // Subscribers poll; a short private cache spares a refresh storm.
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response())
}
