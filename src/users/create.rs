//! Creating a user, shared by the admin page and `prospector user create`.

use crate::{
    auth::{password, recovery},
    error::{AppError, Result, ResultExt as _},
    state::App,
    web::FormErrors,
};

use super::{Role, db, parse_time_zone};

pub struct NewUserInput<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub team_id: Option<i64>,
    pub time_zone: &'a str,
    /// An initial password; without one the user is emailed an invitation to choose it.
    pub password: Option<&'a str>,
}

/// Validates and inserts the user. `Ok(Err(errors))` carries per-field problems.
pub async fn create_user(app: &App, input: NewUserInput<'_>) -> Result<Result<i64, FormErrors>> {
    let mut errors = FormErrors::default();
    let email = errors.optional_email("email", input.email);
    if email.is_none() && !errors.has("email") {
        errors.add("email", "This field is required.");
    }
    let name = errors.required("name", input.name, 120);
    let time_zone = parse_time_zone(input.time_zone);
    if time_zone.is_none() {
        errors.add(
            "time_zone",
            "Choose an IANA time zone such as Europe/Paris.",
        );
    }
    if let Some(Err(message)) = input.password.map(password::check_policy) {
        errors.add("password", message);
    }
    if let Some(team_id) = input.team_id
        && !db::team_exists(&app.db, team_id).await?
    {
        errors.add("team_id", "Choose an existing team.");
    }
    let (Some(email), Some(time_zone), true) = (email, time_zone, errors.is_empty()) else {
        return Ok(Err(errors));
    };

    let hash = match input.password {
        Some(password) => Some(password::hash_password(app, password.to_string()).await?),
        None => None,
    };
    let mut tx = app.db.begin().await?;
    let inserted = db::insert_user(
        &mut *tx,
        &db::NewUser {
            email: &email,
            name: &name,
            role: input.role,
            team_id: input.team_id,
            time_zone: &time_zone,
            password_hash: hash.as_deref(),
        },
    )
    .await
    .on_constraint("users_email_key", || {
        AppError::BadRequest("duplicate".into())
    });
    match inserted {
        Ok(id) => {
            if hash.is_none() {
                let to = recovery::Recipient {
                    user_id: id,
                    email: &email,
                    name: &name,
                };
                recovery::issue(
                    &mut tx,
                    &app.config.base_url,
                    &to,
                    recovery::Purpose::Invitation,
                )
                .await?;
                crate::wakeup::notify(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(Ok(id))
        }
        Err(AppError::BadRequest(_)) => {
            errors.add("email", "A user with this email already exists.");
            Ok(Err(errors))
        }
        Err(other) => Err(other),
    }
}
