//! Touches' data: the owner's working hours, for placing touches in their day. Touches are
//! scheduled, worked and withdrawn by the follow-up engine (`process`).

use sqlx::PgExecutor;

use crate::{process::store::hours_from, schedule::WorkingHours};

/// The owner's working hours, for placing touches in their day.
pub async fn working_hours(db: impl PgExecutor<'_>, owner_id: i64) -> sqlx::Result<WorkingHours> {
    let row = sqlx::query!(
        "select time_zone, work_day_start, work_day_end from users where id = $1",
        owner_id
    )
    .fetch_one(db)
    .await?;
    Ok(hours_from(
        &row.time_zone,
        row.work_day_start,
        row.work_day_end,
    ))
}
