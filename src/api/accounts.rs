//! `/api/v1/accounts`: the companies prospects work at. Validated as the account form
//! validates them; visible to whoever may see the account owner's data.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::{
    auth::ApiUser,
    pagination,
    problem::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult},
    prospects::Ref,
};
use crate::{
    accounts::{
        db::{self, Cursor},
        form::AccountForm,
    },
    state::AppState,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountListQuery {
    /// Text matched in the name or the domain.
    pub q: Option<String>,
    /// The `next_cursor` of the previous page, as given; any other value is refused (422).
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    pub data: Vec<db::ListRow>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub owner: Ref,
    pub name: String,
    pub domain: Option<String>,
    pub industry: String,
    pub employee_count: Option<i32>,
    pub territory: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// An account to create or the new values of one. `name` is required; `domain` may be
/// a bare domain or a site address, and is stored as the bare host. Texts are stored
/// trimmed.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    #[schema(example = "Acme Corp", min_length = 1, max_length = 200)]
    pub name: String,
    /// A domain such as `acme.com`, or a site address such as `https://www.acme.com/about`
    /// (stored as `acme.com`); empty for none. At most four labels of at most 63
    /// characters (the last at most 61, starting with a letter); an internationalised
    /// label (`xn--`) must be valid Punycode.
    #[serde(default)]
    #[schema(
        example = "acme.com",
        max_length = 300,
        pattern = r"^((https?://)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,3}[A-Za-z]([A-Za-z0-9-]{0,59}[A-Za-z0-9])?\.?([/?#][!-~]*)?)?$"
    )]
    pub domain: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub industry: String,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 2147483647)]
    pub employee_count: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub territory: String,
}

impl AccountInput {
    fn form(&self) -> AccountForm {
        AccountForm {
            name: self.name.clone(),
            domain: self.domain.clone(),
            industry: self.industry.clone(),
            employee_count: self
                .employee_count
                .map(|n| n.to_string())
                .unwrap_or_default(),
            territory: self.territory.clone(),
        }
    }
}

/// List the accounts you can see, by name.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", operation_id = "listAccounts",
    params(AccountListQuery),
    responses((status = 200, description = "One page of accounts", body = AccountList)))]
pub async fn list(
    State(state): State<AppState>,
    api: ApiUser,
    ApiQuery(query): ApiQuery<AccountListQuery>,
) -> ApiResult<Json<AccountList>> {
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode(query.cursor.as_deref(), Cursor::decode)?;
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let page = db::list(&state.db, &api.scope, search, after.as_ref(), limit).await?;
    Ok(Json(AccountList {
        data: page.rows,
        next_cursor: page.next.map(|c| pagination::encode(&c.encode())),
    }))
}

async fn load(state: &AppState, api: &ApiUser, id: i64) -> ApiResult<Account> {
    let a = db::get(&state.db, &api.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Account {
        id: a.id,
        owner: Ref {
            id: a.owner_id,
            name: a.owner_name,
        },
        name: a.name,
        domain: a.domain,
        industry: a.industry,
        employee_count: a.employee_count,
        territory: a.territory,
        created_at: a.created_at,
        updated_at: a.updated_at,
    })
}

/// Read an account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts", operation_id = "getAccount",
    params(("id" = i64, Path, description = "The account's id")),
    responses((status = 200, description = "The account", body = Account)))]
pub async fn get(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Account>> {
    Ok(Json(load(&state, &api, id).await?))
}

/// Create an account, owned by you.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", operation_id = "createAccount",
    request_body = AccountInput,
    responses((status = 201, description = "Created", body = Account)))]
pub async fn create(
    State(state): State<AppState>,
    api: ApiUser,
    ApiJson(body): ApiJson<AccountInput>,
) -> ApiResult<(StatusCode, Json<Account>)> {
    let fields = body.form().validate()?;
    let id = db::insert(&state.db, api.user.id, &fields).await?;
    Ok((StatusCode::CREATED, Json(load(&state, &api, id).await?)))
}

/// Replace an account's details.
#[utoipa::path(put, path = "/api/v1/accounts/{id}", tag = "accounts", operation_id = "updateAccount",
    params(("id" = i64, Path, description = "The account's id")),
    request_body = AccountInput,
    responses((status = 200, description = "The account as saved", body = Account)))]
pub async fn update(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AccountInput>,
) -> ApiResult<Json<Account>> {
    let fields = body.form().validate()?;
    if !db::update(&state.db, &api.scope, id, &fields).await? {
        return Err(ApiError::NotFound);
    }
    Ok(Json(load(&state, &api, id).await?))
}
