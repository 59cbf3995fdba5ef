//! The admin pages: users and teams.
//!
//! Role and team are bound from forms only here, behind the `Admin` extractor. An admin
//! cannot deactivate or demote themselves, so there is always an admin left to undo a
//! mistake. Deactivating a user ends their sessions: `CurrentUser` refuses inactive users
//! on every request and deletes the session it came with.

use crate::web::extract::{Form, Path};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::COMMON_TIME_ZONES;
use crate::{
    auth::session::Admin,
    error::{AppError, Result, ResultExt as _},
    state::AppState,
    users::{
        self, Role,
        create::{NewUserInput, create_user as insert_new_user},
        db::{TeamRow, UserChanges, UserRow},
        parse_time_zone,
    },
    web::{FlashKind, FormErrors, Layout, flash},
};

// ------------------------------------------------------------------ users

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub users: Vec<UserRow>,
    pub me: i64,
}

pub async fn users(
    Admin(admin): Admin,
    State(state): State<AppState>,
    layout: Layout,
) -> Result<UsersPage> {
    Ok(UsersPage {
        layout,
        users: users::db::list_users(&state.db).await?,
        me: admin.id,
    })
}

/// A team picked in a select: empty for none, else a team id.
fn parse_team_id(raw: &str, errors: &mut FormErrors) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.add("team_id", "Choose an existing team.");
            None
        }
    }
}

fn parse_role(raw: &str, errors: &mut FormErrors) -> Option<Role> {
    let role = Role::parse(raw.trim());
    if role.is_none() {
        errors.add("role", "Choose a role.");
    }
    role
}

#[derive(Clone, Debug, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub team_id: String,
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub password: String,
}

impl Default for NewUserForm {
    fn default() -> Self {
        NewUserForm {
            email: String::new(),
            name: String::new(),
            role: Role::Rep.as_str().to_string(),
            team_id: String::new(),
            time_zone: "UTC".to_string(),
            password: String::new(),
        }
    }
}

impl NewUserForm {
    /// The choices made in selects; the rest is validated by `users::create::create_user`.
    pub fn choices(&self) -> Result<(Role, Option<i64>), FormErrors> {
        let mut errors = FormErrors::default();
        let role = parse_role(&self.role, &mut errors);
        let team_id = parse_team_id(&self.team_id, &mut errors);
        match role {
            Some(role) if errors.is_empty() => Ok((role, team_id)),
            _ => Err(errors),
        }
    }

    fn values(&self) -> UserFormValues {
        UserFormValues {
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role.clone(),
            team_id: self.team_id.clone(),
            time_zone: self.time_zone.clone(),
            active: true,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct EditUserForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub team_id: String,
    #[serde(default)]
    pub time_zone: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    pub active: Option<String>,
}

/// A validated edit, before the team is checked to exist.
#[derive(Debug, PartialEq, Eq)]
pub struct ValidUserChanges {
    pub name: String,
    pub role: Role,
    pub team_id: Option<i64>,
    pub time_zone: String,
    pub active: bool,
}

impl EditUserForm {
    fn from_user(user: &UserRow) -> Self {
        EditUserForm {
            name: user.name.clone(),
            role: user.role.as_str().to_string(),
            team_id: user.team_id.map(|id| id.to_string()).unwrap_or_default(),
            time_zone: user.time_zone.clone(),
            active: user.active.then(|| "on".to_string()),
        }
    }

    /// `editing_self`: the admin is editing their own account, which they may not
    /// deactivate or demote.
    pub fn validate(&self, editing_self: bool) -> Result<ValidUserChanges, FormErrors> {
        let mut errors = FormErrors::default();
        let name = errors.required("name", &self.name, 120);
        let role = parse_role(&self.role, &mut errors);
        let team_id = parse_team_id(&self.team_id, &mut errors);
        let time_zone = parse_time_zone(&self.time_zone);
        if time_zone.is_none() {
            errors.add(
                "time_zone",
                "Choose an IANA time zone such as Europe/Paris.",
            );
        }
        let active = self.active.is_some();
        if editing_self {
            if role.is_some_and(|r| r != Role::Admin) {
                errors.add(
                    "role",
                    "You cannot remove your own admin role. Ask another admin to do it.",
                );
            }
            if !active {
                errors.add(
                    "active",
                    "You cannot deactivate your own account. Ask another admin to do it.",
                );
            }
        }
        match (role, time_zone) {
            (Some(role), Some(time_zone)) if errors.is_empty() => Ok(ValidUserChanges {
                name,
                role,
                team_id,
                time_zone,
                active,
            }),
            _ => Err(errors),
        }
    }

    fn values(&self, email: &str) -> UserFormValues {
        UserFormValues {
            email: email.to_string(),
            name: self.name.clone(),
            role: self.role.clone(),
            team_id: self.team_id.clone(),
            time_zone: self.time_zone.clone(),
            active: self.active.is_some(),
        }
    }
}

/// What the user form shows: what was typed, or the stored user.
pub struct UserFormValues {
    pub email: String,
    pub name: String,
    pub role: String,
    pub team_id: String,
    pub time_zone: String,
    pub active: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/user_form.html")]
pub struct UserFormPage {
    pub layout: Layout,
    /// `None` when creating.
    pub user_id: Option<i64>,
    /// The admin is editing their own account.
    pub is_self: bool,
    pub form: UserFormValues,
    pub errors: FormErrors,
    pub roles: &'static [Role],
    pub teams: Vec<TeamRow>,
    pub time_zones: &'static [&'static str],
}

impl UserFormPage {
    fn action(&self) -> String {
        match self.user_id {
            Some(id) => format!("/admin/users/{id}"),
            None => "/admin/users".to_string(),
        }
    }

    fn role_selected(&self, role: &Role) -> bool {
        self.form.role == role.as_str()
    }

    fn team_selected(&self, team: &TeamRow) -> bool {
        self.form.team_id == team.id.to_string()
    }
}

async fn user_form_page(
    state: &AppState,
    layout: Layout,
    user_id: Option<i64>,
    is_self: bool,
    form: UserFormValues,
    errors: FormErrors,
) -> Result<UserFormPage> {
    Ok(UserFormPage {
        layout,
        user_id,
        is_self,
        form,
        errors,
        roles: &Role::ALL,
        teams: users::db::list_teams(&state.db).await?,
        time_zones: COMMON_TIME_ZONES,
    })
}

fn unprocessable(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

pub async fn new_user(
    Admin(_admin): Admin,
    State(state): State<AppState>,
    layout: Layout,
) -> Result<UserFormPage> {
    let form = NewUserForm::default().values();
    user_form_page(&state, layout, None, false, form, FormErrors::default()).await
}

pub async fn create_user(
    Admin(_admin): Admin,
    State(state): State<AppState>,
    layout: Layout,
    session: Session,
    Form(form): Form<NewUserForm>,
) -> Result<Response> {
    let created = match form.choices() {
        Ok((role, team_id)) => {
            insert_new_user(
                &state,
                NewUserInput {
                    email: &form.email,
                    name: &form.name,
                    role,
                    team_id,
                    time_zone: &form.time_zone,
                    password: Some(form.password.as_str()).filter(|p| !p.is_empty()),
                },
            )
            .await?
        }
        Err(errors) => Err(errors),
    };
    match created {
        Ok(_) => {
            let message = if form.password.is_empty() {
                format!(
                    "{} is invited: an email with a link to choose a password is on its way to {}.",
                    form.name.trim(),
                    form.email.trim().to_lowercase()
                )
            } else {
                format!(
                    "{} can now sign in as {}. Share the initial password privately.",
                    form.name.trim(),
                    form.email.trim().to_lowercase()
                )
            };
            flash(&session, FlashKind::Success, message).await?;
            Ok(Redirect::to("/admin/users").into_response())
        }
        // The password is never sent back to the browser.
        Err(errors) => {
            let page = user_form_page(&state, layout, None, false, form.values(), errors).await?;
            Ok(unprocessable(page))
        }
    }
}

pub async fn edit_user(
    Admin(admin): Admin,
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<i64>,
) -> Result<UserFormPage> {
    let user = users::db::get_user(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = EditUserForm::from_user(&user).values(&user.email);
    user_form_page(
        &state,
        layout,
        Some(id),
        id == admin.id,
        form,
        FormErrors::default(),
    )
    .await
}

pub async fn update_user(
    Admin(admin): Admin,
    State(state): State<AppState>,
    layout: Layout,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<EditUserForm>,
) -> Result<Response> {
    let user = users::db::get_user(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let is_self = id == admin.id;
    let mut valid = form.validate(is_self);
    if let Ok(ValidUserChanges {
        team_id: Some(team_id),
        ..
    }) = &valid
        && !users::db::team_exists(&state.db, *team_id).await?
    {
        let mut errors = FormErrors::default();
        errors.add("team_id", "Choose an existing team.");
        valid = Err(errors);
    }
    let changes = match valid {
        Ok(changes) => changes,
        Err(errors) => {
            let page = user_form_page(
                &state,
                layout,
                Some(id),
                is_self,
                form.values(&user.email),
                errors,
            )
            .await?;
            return Ok(unprocessable(page));
        }
    };
    let updated = users::db::update_user(
        &state.db,
        id,
        &UserChanges {
            name: &changes.name,
            role: changes.role,
            team_id: changes.team_id,
            time_zone: &changes.time_zone,
            active: changes.active,
        },
    )
    .await?;
    if !updated {
        return Err(AppError::NotFound);
    }
    let message = match (user.active, changes.active) {
        (true, false) => format!("{} is deactivated and signed out.", changes.name),
        (false, true) => format!("{} is active again and can sign in.", changes.name),
        _ => format!("{} saved.", changes.name),
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to("/admin/users").into_response())
}

// ------------------------------------------------------------------ teams

/// A rename that failed, shown again in its team's row.
pub struct RenameAttempt {
    pub team_id: i64,
    pub name: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/teams.html")]
pub struct TeamsPage {
    pub layout: Layout,
    pub teams: Vec<TeamRow>,
    /// The "New team" form: what was typed and its errors.
    pub new_name: String,
    pub errors: FormErrors,
    pub rename: Option<RenameAttempt>,
}

impl TeamsPage {
    fn rename_value(&self, team: &TeamRow) -> String {
        match &self.rename {
            Some(attempt) if attempt.team_id == team.id => attempt.name.clone(),
            _ => team.name.clone(),
        }
    }

    fn rename_error(&self, team: &TeamRow) -> Option<&str> {
        self.rename
            .as_ref()
            .filter(|attempt| attempt.team_id == team.id)
            .map(|attempt| attempt.error.as_str())
    }
}

async fn teams_page(
    state: &AppState,
    layout: Layout,
    new_name: String,
    errors: FormErrors,
    rename: Option<RenameAttempt>,
) -> Result<TeamsPage> {
    Ok(TeamsPage {
        layout,
        teams: users::db::list_teams(&state.db).await?,
        new_name,
        errors,
        rename,
    })
}

pub async fn teams(
    Admin(_admin): Admin,
    State(state): State<AppState>,
    layout: Layout,
) -> Result<TeamsPage> {
    teams_page(&state, layout, String::new(), FormErrors::default(), None).await
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    pub name: String,
}

impl TeamForm {
    pub fn validate(&self) -> Result<String, FormErrors> {
        let mut errors = FormErrors::default();
        let name = errors.required("name", &self.name, 100);
        errors.into_result(|| name)
    }
}

const DUPLICATE_TEAM: &str = "A team with this name already exists.";

fn duplicate_team() -> AppError {
    AppError::BadRequest(DUPLICATE_TEAM.into())
}

pub async fn create_team(
    Admin(_admin): Admin,
    State(state): State<AppState>,
    layout: Layout,
    session: Session,
    Form(form): Form<TeamForm>,
) -> Result<Response> {
    let name = match form.validate() {
        Ok(name) => name,
        Err(errors) => {
            let page = teams_page(&state, layout, form.name, errors, None).await?;
            return Ok(unprocessable(page));
        }
    };
    match users::db::insert_team(&state.db, &name)
        .await
        .on_constraint("teams_name_key", duplicate_team)
    {
        Ok(_) => {
            flash(
                &session,
                FlashKind::Success,
                format!("Team {name} created."),
            )
            .await?;
            Ok(Redirect::to("/admin/teams").into_response())
        }
        Err(AppError::BadRequest(message)) => {
            let mut errors = FormErrors::default();
            errors.add("name", message);
            let page = teams_page(&state, layout, form.name, errors, None).await?;
            Ok(unprocessable(page))
        }
        Err(other) => Err(other),
    }
}

pub async fn rename_team(
    Admin(_admin): Admin,
    State(state): State<AppState>,
    layout: Layout,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<TeamForm>,
) -> Result<Response> {
    if !users::db::team_exists(&state.db, id).await? {
        return Err(AppError::NotFound);
    }
    let failed = |error: String| RenameAttempt {
        team_id: id,
        name: form.name.clone(),
        error,
    };
    let name = match form.validate() {
        Ok(name) => name,
        Err(errors) => {
            let error = errors.get("name").unwrap_or_default().to_string();
            let page = teams_page(
                &state,
                layout,
                String::new(),
                FormErrors::default(),
                Some(failed(error)),
            )
            .await?;
            return Ok(unprocessable(page));
        }
    };
    match users::db::rename_team(&state.db, id, &name)
        .await
        .on_constraint("teams_name_key", duplicate_team)
    {
        Ok(true) => {
            flash(
                &session,
                FlashKind::Success,
                format!("Team renamed to {name}."),
            )
            .await?;
            Ok(Redirect::to("/admin/teams").into_response())
        }
        Ok(false) => Err(AppError::NotFound),
        Err(AppError::BadRequest(message)) => {
            let page = teams_page(
                &state,
                layout,
                String::new(),
                FormErrors::default(),
                Some(failed(message)),
            )
            .await?;
            Ok(unprocessable(page))
        }
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(role: &str, active: bool) -> EditUserForm {
        EditUserForm {
            name: "Ada Lovelace".into(),
            role: role.into(),
            team_id: "3".into(),
            time_zone: "Europe/London".into(),
            active: active.then(|| "on".into()),
        }
    }

    #[test]
    fn an_edit_is_validated_into_changes() {
        assert_eq!(
            edit("manager", false).validate(false).ok(),
            Some(ValidUserChanges {
                name: "Ada Lovelace".into(),
                role: Role::Manager,
                team_id: Some(3),
                time_zone: "Europe/London".into(),
                active: false,
            })
        );
    }

    #[test]
    fn bad_choices_are_reported_on_their_fields() {
        let form = EditUserForm {
            name: " ".into(),
            role: "superuser".into(),
            team_id: "first".into(),
            time_zone: "Mars/Olympus".into(),
            active: Some("on".into()),
        };
        let errors = form.validate(false).unwrap_err();
        for field in ["name", "role", "team_id", "time_zone"] {
            assert!(errors.has(field), "{field}");
        }
    }

    #[test]
    fn an_admin_cannot_deactivate_or_demote_themselves() {
        assert!(edit("admin", true).validate(true).is_ok());
        let errors = edit("rep", true).validate(true).unwrap_err();
        assert!(errors.has("role") && !errors.has("active"));
        let errors = edit("admin", false).validate(true).unwrap_err();
        assert!(errors.has("active") && !errors.has("role"));
        // Another admin may do both.
        assert!(edit("rep", false).validate(false).is_ok());
    }

    #[test]
    fn new_user_choices_are_parsed() {
        let form = NewUserForm {
            role: "manager".into(),
            team_id: "".into(),
            ..Default::default()
        };
        assert_eq!(form.choices().ok(), Some((Role::Manager, None)));
        let form = NewUserForm {
            role: "root".into(),
            team_id: "x".into(),
            ..Default::default()
        };
        let errors = form.choices().unwrap_err();
        assert!(errors.has("role") && errors.has("team_id"));
    }

    #[test]
    fn team_names_are_required_and_bounded() {
        let ok = TeamForm {
            name: "  West ".into(),
        };
        assert_eq!(ok.validate().ok().as_deref(), Some("West"));
        assert!(TeamForm::default().validate().unwrap_err().has("name"));
        let long = TeamForm {
            name: "x".repeat(101),
        };
        assert!(long.validate().unwrap_err().has("name"));
    }
}
