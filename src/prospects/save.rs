//! Creating and updating a prospect with everything that goes with it (the account named,
//! the timeline, the qualifying facts, do-not-contact stopping the cadence), in the
//! caller's transaction. The prospect form and the API both save through here.

use sqlx::PgConnection;
use time::OffsetDateTime;

use super::{
    QualifyingInput,
    db::{self, NewEvent},
    form::ValidProspect,
};
use crate::{
    accounts,
    auth::Scope,
    error::{AppError, ResultExt as _},
    process::{Event, store},
};

/// Another prospect holds the email (found by the unique index at write time). The
/// transaction is spoiled: the caller rolls it back and reports the duplicate.
#[derive(Debug)]
pub struct EmailTaken;

fn email_taken<T>(result: Result<T, AppError>) -> Result<Result<T, EmailTaken>, AppError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(AppError::BadRequest(_)) => Ok(Err(EmailTaken)),
        Err(other) => Err(other),
    }
}

/// Creates a prospect owned by `owner_id`, finding or creating the account it names.
pub async fn create(
    conn: &mut PgConnection,
    scope: &Scope,
    actor_id: i64,
    owner_id: i64,
    valid: &ValidProspect,
    qualifying: &QualifyingInput,
) -> Result<Result<i64, EmailTaken>, AppError> {
    let mut fields = valid.fields.clone();
    if let Some(name) = &valid.account_name {
        fields.account_id =
            Some(accounts::db::find_or_create_by_name(conn, scope, owner_id, name).await?);
    }
    let inserted = db::insert(&mut *conn, owner_id, &fields)
        .await
        .on_constraint("prospects_email_key", || {
            AppError::BadRequest("duplicate".into())
        });
    let id = match email_taken(inserted)? {
        Ok(id) => id,
        Err(taken) => return Ok(Err(taken)),
    };
    db::insert_event(&mut *conn, NewEvent::new(id, actor_id, "created")).await?;
    db::record_facts(
        conn,
        id,
        &qualifying.entries(),
        actor_id,
        None,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Ok(id))
}

/// Updates a prospect in the scope; `Ok(Ok(false))` if it is not there. Turning
/// do-not-contact on stops every cadence; facts that changed are recorded.
pub async fn update(
    conn: &mut PgConnection,
    scope: &Scope,
    actor_id: i64,
    id: i64,
    valid: &ValidProspect,
    qualifying: &QualifyingInput,
) -> Result<Result<bool, EmailTaken>, AppError> {
    let Some(locked) = db::lock(conn, scope, id).await? else {
        return Ok(Ok(false));
    };
    let mut fields = valid.fields.clone();
    if let Some(name) = &valid.account_name {
        fields.account_id =
            Some(accounts::db::find_or_create_by_name(conn, scope, locked.owner_id, name).await?);
    }
    let updated = db::update(&mut *conn, scope, id, &fields)
        .await
        .on_constraint("prospects_email_key", || {
            AppError::BadRequest("duplicate".into())
        });
    if let Err(taken) = email_taken(updated)? {
        return Ok(Err(taken));
    }
    let now = OffsetDateTime::now_utc();
    // The form wrote the flag with the row; the engine hears of the change: turning it on
    // stops every cadence.
    if let Some(loaded) = store::load(conn, scope, id).await? {
        let event = Event::DoNotContactChanged {
            from: locked.do_not_contact,
            to: fields.do_not_contact,
            note: None,
        };
        store::apply(conn, &[loaded.decide(&event, now, Some(actor_id))]).await?;
    }
    let learned = db::record_facts(conn, id, &qualifying.entries(), actor_id, None, now).await?;
    if learned > 0 {
        db::insert_event(
            &mut *conn,
            NewEvent::new(id, actor_id, "qualifying_updated"),
        )
        .await?;
    }
    Ok(Ok(true))
}
