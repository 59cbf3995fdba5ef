//! Account pages: the list, the account page with its prospects, the new/edit form.

use crate::web::extract::{Form, Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{
    accounts::{
        db::{self, Cursor},
        form::AccountForm,
    },
    auth::{CurrentUser, Scope},
    error::{AppError, Result},
    prospects::{
        self,
        db::{ListFilter, Sort},
    },
    state::AppState,
    web::{FlashKind, FormErrors, Layout, flash},
};

fn stale_page_link() -> AppError {
    AppError::BadRequest("That page link is no longer valid; start from the first page.".into())
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
}

impl ListQuery {
    fn search(&self) -> Option<&str> {
        Some(self.q.trim()).filter(|s| !s.is_empty())
    }

    /// This list's query string with `after` replaced, for the pagination links.
    fn url(&self, after: Option<&Cursor>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(q) = self.search() {
            pairs.push(("q", q.to_string()));
        }
        if let Some(cursor) = after {
            pairs.push(("after", cursor.encode()));
        }
        match serde_urlencoded::to_string(pairs).unwrap_or_default() {
            query if query.is_empty() => "/accounts".to_string(),
            query => format!("/accounts?{query}"),
        }
    }
}

pub struct AccountListRow {
    pub account: db::ListRow,
    pub prospects: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/index.html")]
pub struct AccountListPage {
    pub layout: Layout,
    pub query: ListQuery,
    pub rows: Vec<AccountListRow>,
    pub next_url: Option<String>,
    pub first_url: Option<String>,
}

impl AccountListPage {
    fn is_filtered(&self) -> bool {
        self.query.search().is_some()
    }
}

pub async fn index(
    State(state): State<AppState>,
    layout: Layout,
    scope: Scope,
    Query(query): Query<ListQuery>,
) -> Result<AccountListPage> {
    let after = Some(query.after.as_str())
        .filter(|s| !s.is_empty())
        .map(|raw| Cursor::decode(raw).ok_or_else(stale_page_link))
        .transpose()?;
    let page = db::list(
        &state.db,
        &scope,
        query.search(),
        after.as_ref(),
        db::PAGE_SIZE,
    )
    .await?;
    let ids: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
    let counts = db::prospect_counts(&state.db, &scope, &ids).await?;
    let next_url = page.next.as_ref().map(|c| query.url(Some(c)));
    let first_url = after.is_some().then(|| query.url(None));
    let rows = page
        .rows
        .into_iter()
        .map(|account| AccountListRow {
            prospects: counts.get(&account.id).copied().unwrap_or(0),
            account,
        })
        .collect();
    Ok(AccountListPage {
        layout,
        query,
        rows,
        next_url,
        first_url,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/form.html")]
pub struct AccountFormPage {
    pub layout: Layout,
    /// `None` when creating.
    pub account_id: Option<i64>,
    pub form: AccountForm,
    pub errors: FormErrors,
    pub industries: Vec<String>,
    pub territories: Vec<String>,
}

impl AccountFormPage {
    fn action(&self) -> String {
        match self.account_id {
            Some(id) => format!("/accounts/{id}"),
            None => "/accounts".to_string(),
        }
    }

    fn cancel_url(&self) -> String {
        match self.account_id {
            Some(id) => format!("/accounts/{id}"),
            None => "/accounts".to_string(),
        }
    }
}

async fn form_page(
    state: &AppState,
    layout: Layout,
    scope: &Scope,
    account_id: Option<i64>,
    form: AccountForm,
    errors: FormErrors,
) -> Result<AccountFormPage> {
    let mut conn = state.db.acquire().await?;
    let suggestions = db::suggestions(&mut conn, scope).await?;
    Ok(AccountFormPage {
        layout,
        account_id,
        form,
        errors,
        industries: suggestions.industries,
        territories: suggestions.territories,
    })
}

fn unprocessable(page: AccountFormPage) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

pub async fn new(
    State(state): State<AppState>,
    layout: Layout,
    scope: Scope,
) -> Result<AccountFormPage> {
    form_page(
        &state,
        layout,
        &scope,
        None,
        AccountForm::default(),
        FormErrors::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Form(form): Form<AccountForm>,
) -> Result<Response> {
    let fields = match form.validate() {
        Ok(fields) => fields,
        Err(errors) => {
            let page = form_page(&state, layout, &scope, None, form, errors).await?;
            return Ok(unprocessable(page));
        }
    };
    let id = db::insert(&state.db, user.id, &fields).await?;
    flash(&session, FlashKind::Success, "Account created.").await?;
    Ok(Redirect::to(&format!("/accounts/{id}")).into_response())
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/show.html")]
pub struct AccountShowPage {
    pub layout: Layout,
    pub account: db::Account,
    /// Visible prospects at the account, in all.
    pub prospect_count: i64,
    pub prospects: Vec<prospects::db::ListRow>,
    pub next_url: Option<String>,
    pub first_url: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    layout: Layout,
    scope: Scope,
    Path(id): Path<i64>,
    Query(query): Query<ShowQuery>,
) -> Result<AccountShowPage> {
    let account = db::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let after = Some(query.after.as_str())
        .filter(|s| !s.is_empty())
        .map(|raw| prospects::db::Cursor::decode(Sort::Name, raw).ok_or_else(stale_page_link))
        .transpose()?;
    let filter = ListFilter {
        account_id: Some(id),
        sort: Sort::Name,
        ..Default::default()
    };
    let page = prospects::db::list(
        &state.db,
        &scope,
        &filter,
        after.as_ref(),
        prospects::db::PAGE_SIZE,
    )
    .await?;
    let prospect_count = db::prospect_counts(&state.db, &scope, &[id])
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0);
    let next_url = page.next.as_ref().map(|c| {
        format!(
            "/accounts/{id}?{}",
            serde_urlencoded::to_string([("after", c.encode())]).unwrap_or_default()
        )
    });
    let first_url = after.is_some().then(|| format!("/accounts/{id}"));
    Ok(AccountShowPage {
        layout,
        account,
        prospect_count,
        prospects: page.rows,
        next_url,
        first_url,
    })
}

pub async fn edit(
    State(state): State<AppState>,
    layout: Layout,
    scope: Scope,
    Path(id): Path<i64>,
) -> Result<AccountFormPage> {
    let account = db::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = AccountForm::from_account(&account);
    form_page(
        &state,
        layout,
        &scope,
        Some(id),
        form,
        FormErrors::default(),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    layout: Layout,
    scope: Scope,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<AccountForm>,
) -> Result<Response> {
    // Outside the scope is a 404 whatever was typed, so that existence does not leak.
    db::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let fields = match form.validate() {
        Ok(fields) => fields,
        Err(errors) => {
            let page = form_page(&state, layout, &scope, Some(id), form, errors).await?;
            return Ok(unprocessable(page));
        }
    };
    if !db::update(&state.db, &scope, id, &fields).await? {
        return Err(AppError::NotFound);
    }
    flash(&session, FlashKind::Success, "Account saved.").await?;
    Ok(Redirect::to(&format!("/accounts/{id}")).into_response())
}
