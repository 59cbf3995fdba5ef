//! `GET/POST /settings/reminders`: the signed-in user chooses which reminders they get
//! and at what hour. Every reminder email links here.
//!
//! The form binds only reminder settings, always for the signed-in user: there is no user
//! id in it to tamper with. The weekly summary goes to managers only, so only managers see
//! (and may change) that switch; for others the stored value is left as it is.

use crate::web::extract::Form;
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use time::Time;
use tower_sessions::Session;

use super::PREFERENCES_PATH;
use crate::{
    auth::CurrentUser,
    error::Result,
    state::AppState,
    users::Role,
    web::{FlashKind, FormErrors, Layout, flash},
};

/// The bounds of the nudge's delay, as the database checks them.
pub const NUDGE_DAYS: std::ops::RangeInclusive<i16> = 1..=20;

/// A user's reminder settings, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderSettings {
    pub agenda_enabled: bool,
    /// The reminder hour, local: the agenda's, and the nudge's and the weekly summary's.
    pub agenda_time: Time,
    pub agenda_when_empty: bool,
    pub nudge_enabled: bool,
    pub nudge_after_business_days: i16,
    pub weekly_summary_enabled: bool,
}

pub async fn load(db: impl sqlx::PgExecutor<'_>, user_id: i64) -> sqlx::Result<ReminderSettings> {
    sqlx::query_as!(
        ReminderSettings,
        r#"select agenda_enabled, agenda_time, agenda_when_empty, nudge_enabled,
                  nudge_after_business_days, weekly_summary_enabled
           from users where id = $1"#,
        user_id
    )
    .fetch_one(db)
    .await
}

/// Saves the settings; the weekly switch only when `with_weekly`.
async fn store(
    db: impl sqlx::PgExecutor<'_>,
    user_id: i64,
    settings: &ReminderSettings,
    with_weekly: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"update users
           set agenda_enabled = $2, agenda_time = $3, agenda_when_empty = $4,
               nudge_enabled = $5, nudge_after_business_days = $6,
               weekly_summary_enabled = case when $7 then $8 else weekly_summary_enabled end,
               updated_at = now()
           where id = $1"#,
        user_id,
        settings.agenda_enabled,
        settings.agenda_time,
        settings.agenda_when_empty,
        settings.nudge_enabled,
        settings.nudge_after_business_days,
        with_weekly,
        settings.weekly_summary_enabled,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The form as posted: checkboxes are present ("on") when ticked, absent otherwise.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReminderForm {
    #[serde(default)]
    pub agenda_enabled: Option<String>,
    #[serde(default)]
    pub agenda_time: String,
    #[serde(default)]
    pub agenda_when_empty: Option<String>,
    #[serde(default)]
    pub nudge_enabled: Option<String>,
    #[serde(default)]
    pub nudge_after_business_days: String,
    #[serde(default)]
    pub weekly_summary_enabled: Option<String>,
}

impl ReminderForm {
    fn from_settings(settings: &ReminderSettings) -> Self {
        let on = |ticked: bool| ticked.then(|| "on".to_string());
        ReminderForm {
            agenda_enabled: on(settings.agenda_enabled),
            agenda_time: hhmm(settings.agenda_time),
            agenda_when_empty: on(settings.agenda_when_empty),
            nudge_enabled: on(settings.nudge_enabled),
            nudge_after_business_days: settings.nudge_after_business_days.to_string(),
            weekly_summary_enabled: on(settings.weekly_summary_enabled),
        }
    }

    pub fn validate(&self) -> Result<ReminderSettings, FormErrors> {
        let mut errors = FormErrors::default();
        let agenda_time = parse_hhmm(&self.agenda_time);
        if agenda_time.is_none() {
            errors.add("agenda_time", "Enter a time as HH:MM, such as 07:30.");
        }
        let nudge_days = self
            .nudge_after_business_days
            .trim()
            .parse::<i16>()
            .ok()
            .filter(|n| NUDGE_DAYS.contains(n));
        if nudge_days.is_none() {
            errors.add(
                "nudge_after_business_days",
                "Enter a whole number of business days from 1 to 20.",
            );
        }
        match (agenda_time, nudge_days) {
            (Some(agenda_time), Some(nudge_after_business_days)) if errors.is_empty() => {
                Ok(ReminderSettings {
                    agenda_enabled: self.agenda_enabled.is_some(),
                    agenda_time,
                    agenda_when_empty: self.agenda_when_empty.is_some(),
                    nudge_enabled: self.nudge_enabled.is_some(),
                    nudge_after_business_days,
                    weekly_summary_enabled: self.weekly_summary_enabled.is_some(),
                })
            }
            _ => Err(errors),
        }
    }
}

/// "07:30" (or "7:30"), as a time input sends it; seconds, which some browsers add, must
/// be zero.
pub fn parse_hhmm(raw: &str) -> Option<Time> {
    let mut parts = raw.trim().split(':');
    let (hour, minute, second) = (parts.next()?, parts.next()?, parts.next());
    if parts.next().is_some() {
        return None;
    }
    let number = |s: &str, max: u8| -> Option<u8> {
        let ok = (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| s.parse().ok()).flatten().filter(|n| *n <= max)
    };
    if minute.len() != 2 || second.is_some_and(|s| number(s, 0).is_none() || s.len() != 2) {
        return None;
    }
    Time::from_hms(number(hour, 23)?, number(minute, 59)?, 0).ok()
}

fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/reminders.html")]
pub struct RemindersPage {
    pub layout: Layout,
    pub form: ReminderForm,
    pub errors: FormErrors,
    pub is_manager: bool,
    pub time_zone: String,
}

impl RemindersPage {
    fn new(layout: Layout, user: &CurrentUser, form: ReminderForm, errors: FormErrors) -> Self {
        RemindersPage {
            layout,
            form,
            errors,
            is_manager: user.role == Role::Manager,
            time_zone: user.time_zone.clone(),
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
) -> Result<RemindersPage> {
    let settings = load(&state.db, user.id).await?;
    Ok(RemindersPage::new(
        layout,
        &user,
        ReminderForm::from_settings(&settings),
        FormErrors::default(),
    ))
}

pub async fn save(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    session: Session,
    Form(form): Form<ReminderForm>,
) -> Result<Response> {
    match form.validate() {
        Ok(settings) => {
            store(&state.db, user.id, &settings, user.role == Role::Manager).await?;
            flash(&session, FlashKind::Success, "Reminder settings saved.").await?;
            Ok(Redirect::to(PREFERENCES_PATH).into_response())
        }
        Err(errors) => {
            let page = RemindersPage::new(layout, &user, form, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::time;

    #[test]
    fn times_are_read_as_a_time_input_sends_them() {
        assert_eq!(parse_hhmm("07:30"), Some(time!(07:30)));
        assert_eq!(parse_hhmm(" 7:05 "), Some(time!(07:05)));
        assert_eq!(parse_hhmm("23:59:00"), Some(time!(23:59)));
        for bad in [
            "",
            "7",
            "24:00",
            "07:60",
            "07:5",
            "07:30:15",
            "aa:bb",
            "07:30:00:00",
            "-1:30",
        ] {
            assert_eq!(parse_hhmm(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_nudge_delay_is_bounded() {
        let form = |days: &str| ReminderForm {
            agenda_time: "07:30".into(),
            nudge_after_business_days: days.into(),
            ..ReminderForm::default()
        };
        assert!(form("1").validate().is_ok());
        assert!(form("20").validate().is_ok());
        for bad in ["0", "21", "", "two", "2.5"] {
            let errors = form(bad).validate().unwrap_err();
            assert!(errors.has("nudge_after_business_days"), "{bad:?}");
        }
    }
}
