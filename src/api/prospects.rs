//! `/api/v1/prospects`: list (filtered, cursor-paginated), read, create, update. Creating
//! and updating validate and save exactly as the prospect form does.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::{
    auth::ApiUser,
    pagination,
    problem::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult},
};
use crate::{
    prospects::{
        InterestState, QualifyingField, QualifyingInput,
        db::{self, Cursor, ListFilter, Sort},
        form::ProspectForm,
        save,
    },
    state::AppState,
};

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProspectSort {
    /// Most recently created first (the default).
    Newest,
    /// By last name, then first name.
    Name,
    /// Most recently touched first; never touched last.
    Touched,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProspectListQuery {
    /// Words matched in the name, email or account name.
    pub q: Option<String>,
    /// Only this owner's prospects (within what you can see).
    pub owner_id: Option<i64>,
    pub interest: Option<InterestState>,
    /// Only prospects with this tag.
    pub tag: Option<String>,
    /// Only prospects at this account.
    pub account_id: Option<i64>,
    pub sort: Option<ProspectSort>,
    /// The `next_cursor` of the previous page, as given (with the same `sort`); any other
    /// value is refused (422).
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

impl ProspectListQuery {
    pub fn filter(&self) -> ListFilter {
        let text = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        ListFilter {
            search: text(&self.q),
            owner_id: self.owner_id,
            interest: self.interest,
            tag: text(&self.tag).map(|t| t.to_lowercase()),
            account_id: self.account_id,
            sort: match self.sort {
                None | Some(ProspectSort::Newest) => Sort::Newest,
                Some(ProspectSort::Name) => Sort::Name,
                Some(ProspectSort::Touched) => Sort::RecentlyTouched,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ref {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProspectSummary {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    pub email: Option<String>,
    pub account: Option<Ref>,
    pub owner_name: String,
    pub interest: InterestState,
    pub do_not_contact: bool,
    pub tags: Vec<String>,
    /// For future interest: the date to re-engage on.
    #[schema(format = Date)]
    pub re_engage_on: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_interaction_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProspectList {
    pub data: Vec<ProspectSummary>,
    /// Send as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Qualifying information: the latest known value of each facet.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Qualifying {
    #[schema(max_length = 2000)]
    pub need: Option<String>,
    #[schema(max_length = 2000)]
    pub budget: Option<String>,
    #[schema(max_length = 2000)]
    pub authority: Option<String>,
    #[schema(max_length = 2000)]
    pub timeline: Option<String>,
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

/// A tag, as the schema of `tags`' items: lower-cased when stored; a comma would make two.
pub struct Tag;

impl utoipa::PartialSchema for Tag {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .description(Some(
                "Lower-cased when stored; a comma would make two tags.",
            ))
            .max_length(Some(40))
            .pattern(Some(
                r"^[^,\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
            ))
            .into()
    }
}

impl ToSchema for Tag {}

impl Qualifying {
    pub fn to_input(&self) -> QualifyingInput {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        QualifyingInput {
            need: text(&self.need),
            budget: text(&self.budget),
            authority: text(&self.authority),
            timeline: text(&self.timeline),
            notes: text(&self.notes),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Prospect {
    pub id: i64,
    pub owner: Ref,
    pub account: Option<Ref>,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    pub email: Option<String>,
    pub phone: String,
    pub linkedin_url: String,
    pub source: String,
    pub tags: Vec<String>,
    pub interest: InterestState,
    pub do_not_contact: bool,
    #[schema(format = Date)]
    pub re_engage_on: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_interaction_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub qualifying: Qualifying,
}

/// A prospect to create. Only `first_name` is required; the account is found by name
/// among those you can see, or created. Texts are stored trimmed.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProspect {
    #[schema(example = "Ada", min_length = 1, max_length = 100)]
    pub first_name: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub last_name: String,
    #[serde(default)]
    #[schema(max_length = 150)]
    pub title: String,
    /// Empty for none. Each email belongs to at most one prospect: one another prospect
    /// has is refused with 409.
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Digits, spaces and `+ - ( ) . x /`.
    #[serde(default)]
    #[schema(max_length = 40, pattern = r"^[0-9 +().x/-]*$")]
    pub phone: String,
    /// An https://…linkedin.com/ profile address, or empty.
    #[serde(default)]
    #[schema(
        max_length = 300,
        pattern = r"^(https://([a-z0-9]+(-[a-z0-9]+)*\.)*linkedin\.com([/?#][!-~]*)?)?$"
    )]
    pub linkedin_url: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub account_name: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub source: String,
    /// Blank tags and repeats (ignoring case) are dropped.
    #[serde(default)]
    #[schema(value_type = Vec<Tag>, max_items = 20)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub do_not_contact: bool,
    #[serde(default)]
    pub qualifying: Qualifying,
}

/// Changes to a prospect: only the fields present (and not null) change. Texts are
/// stored trimmed.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProspectChanges {
    #[schema(min_length = 1, max_length = 100)]
    pub first_name: Option<String>,
    #[schema(max_length = 100)]
    pub last_name: Option<String>,
    #[schema(max_length = 150)]
    pub title: Option<String>,
    /// Empty removes the email. One another prospect has is refused with 409.
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// Digits, spaces and `+ - ( ) . x /`.
    #[schema(max_length = 40, pattern = r"^[0-9 +().x/-]*$")]
    pub phone: Option<String>,
    /// An https://…linkedin.com/ profile address, or empty.
    #[schema(
        max_length = 300,
        pattern = r"^(https://([a-z0-9]+(-[a-z0-9]+)*\.)*linkedin\.com([/?#][!-~]*)?)?$"
    )]
    pub linkedin_url: Option<String>,
    #[schema(max_length = 200)]
    pub account_name: Option<String>,
    #[schema(max_length = 100)]
    pub source: Option<String>,
    /// The new tags, replacing the old; blank tags and repeats (ignoring case) are dropped.
    #[schema(value_type = Option<Vec<Tag>>, max_items = 20)]
    pub tags: Option<Vec<String>>,
    pub do_not_contact: Option<bool>,
    /// Facets given are recorded as newly learned; the others are kept.
    pub qualifying: Qualifying,
}

fn summary(row: db::ListRow) -> ProspectSummary {
    ProspectSummary {
        account: row
            .account_id
            .zip(row.account_name)
            .map(|(id, name)| Ref { id, name }),
        id: row.id,
        first_name: row.first_name,
        last_name: row.last_name,
        title: row.title,
        email: row.email,
        owner_name: row.owner_name,
        interest: row.interest,
        do_not_contact: row.do_not_contact,
        tags: row.tags,
        re_engage_on: row.re_engage_on.map(|d| d.to_string()),
        last_interaction_at: row.last_interaction_at,
    }
}

fn sort_name(sort: Sort) -> &'static str {
    sort.as_str()
}

/// List the prospects you can see.
#[utoipa::path(get, path = "/api/v1/prospects", tag = "prospects", operation_id = "listProspects",
    params(ProspectListQuery),
    responses((status = 200, description = "One page of prospects", body = ProspectList)))]
pub async fn list(
    State(state): State<AppState>,
    api: ApiUser,
    ApiQuery(query): ApiQuery<ProspectListQuery>,
) -> ApiResult<Json<ProspectList>> {
    let filter = query.filter();
    let limit = pagination::limit(query.limit)?;
    // The cursor names its sort, so that a cursor of another order is refused.
    let after = pagination::decode(query.cursor.as_deref(), |raw| {
        let (sort, position) = raw.split_once(':')?;
        (sort == sort_name(filter.sort))
            .then(|| Cursor::decode(filter.sort, position))
            .flatten()
    })?;
    let page = db::list(&state.db, &api.scope, &filter, after.as_ref(), limit).await?;
    Ok(Json(ProspectList {
        data: page.rows.into_iter().map(summary).collect(),
        next_cursor: page
            .next
            .map(|c| pagination::encode(&format!("{}:{}", sort_name(filter.sort), c.encode()))),
    }))
}

async fn load(state: &AppState, api: &ApiUser, id: i64) -> ApiResult<Prospect> {
    let p = db::get(&state.db, &api.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let facts = db::current_facts(&state.db, &api.scope, id).await?;
    let fact = |field: QualifyingField| {
        facts
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.value.clone())
    };
    Ok(Prospect {
        id: p.id,
        owner: Ref {
            id: p.owner_id,
            name: p.owner_name,
        },
        account: p
            .account_id
            .zip(p.account_name)
            .map(|(id, name)| Ref { id, name }),
        first_name: p.first_name,
        last_name: p.last_name,
        title: p.title,
        email: p.email,
        phone: p.phone,
        linkedin_url: p.linkedin_url,
        source: p.source,
        tags: p.tags,
        interest: p.interest,
        do_not_contact: p.do_not_contact,
        re_engage_on: p.re_engage_on.map(|d| d.to_string()),
        last_interaction_at: p.last_interaction_at,
        created_at: p.created_at,
        qualifying: Qualifying {
            need: fact(QualifyingField::Need),
            budget: fact(QualifyingField::Budget),
            authority: fact(QualifyingField::Authority),
            timeline: fact(QualifyingField::Timeline),
            notes: fact(QualifyingField::Notes),
        },
    })
}

/// Read a prospect.
#[utoipa::path(get, path = "/api/v1/prospects/{id}", tag = "prospects", operation_id = "getProspect",
    params(("id" = i64, Path, description = "The prospect's id")),
    responses((status = 200, description = "The prospect", body = Prospect)))]
pub async fn get(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Prospect>> {
    Ok(Json(load(&state, &api, id).await?))
}

/// Refuses an email another prospect has, as the form does.
async fn check_email(state: &AppState, email: Option<&str>, except: Option<i64>) -> ApiResult<()> {
    let Some(email) = email else { return Ok(()) };
    match db::find_by_email(&state.db, email).await? {
        Some(existing) if Some(existing.id) != except => Err(taken()),
        _ => Ok(()),
    }
}

fn taken() -> ApiError {
    ApiError::Field(
        StatusCode::CONFLICT,
        "email",
        "Another prospect already has this email.".into(),
    )
}

/// Create a prospect, owned by you.
#[utoipa::path(post, path = "/api/v1/prospects", tag = "prospects", operation_id = "createProspect",
    request_body = NewProspect,
    responses(
        (status = 201, description = "Created", body = Prospect),
        (status = 409, description = "Another prospect has this email", body = super::problem::Problem,
         content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    api: ApiUser,
    ApiJson(body): ApiJson<NewProspect>,
) -> ApiResult<(StatusCode, Json<Prospect>)> {
    let form = ProspectForm {
        first_name: body.first_name,
        last_name: body.last_name,
        title: body.title,
        email: body.email,
        phone: body.phone,
        linkedin_url: body.linkedin_url,
        account_name: body.account_name,
        source: body.source,
        tags: body.tags.join(","),
        do_not_contact: body.do_not_contact.then(|| "on".to_string()),
        qualifying: body.qualifying.to_input(),
    };
    let valid = form.validate()?;
    check_email(&state, valid.fields.email.as_deref(), None).await?;
    let mut tx = state.db.begin().await?;
    let id = match save::create(
        &mut tx,
        &api.scope,
        api.user.id,
        api.user.id,
        &valid,
        &form.qualifying,
    )
    .await?
    {
        Ok(id) => id,
        Err(save::EmailTaken) => return Err(taken()),
    };
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(load(&state, &api, id).await?)))
}

/// Change a prospect.
#[utoipa::path(patch, path = "/api/v1/prospects/{id}", tag = "prospects", operation_id = "updateProspect",
    params(("id" = i64, Path, description = "The prospect's id")),
    request_body = ProspectChanges,
    responses(
        (status = 200, description = "The prospect as changed", body = Prospect),
        (status = 409, description = "Another prospect has this email", body = super::problem::Problem,
         content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(changes): ApiJson<ProspectChanges>,
) -> ApiResult<Json<Prospect>> {
    let current = db::get(&state.db, &api.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let form = ProspectForm {
        first_name: changes.first_name.unwrap_or(current.first_name),
        last_name: changes.last_name.unwrap_or(current.last_name),
        title: changes.title.unwrap_or(current.title),
        email: changes
            .email
            .unwrap_or_else(|| current.email.unwrap_or_default()),
        phone: changes.phone.unwrap_or(current.phone),
        linkedin_url: changes.linkedin_url.unwrap_or(current.linkedin_url),
        account_name: changes
            .account_name
            .unwrap_or_else(|| current.account_name.unwrap_or_default()),
        source: changes.source.unwrap_or(current.source),
        tags: changes.tags.unwrap_or(current.tags).join(","),
        do_not_contact: changes
            .do_not_contact
            .unwrap_or(current.do_not_contact)
            .then(|| "on".to_string()),
        qualifying: changes.qualifying.to_input(),
    };
    let valid = form.validate()?;
    check_email(&state, valid.fields.email.as_deref(), Some(id)).await?;
    let mut tx = state.db.begin().await?;
    match save::update(
        &mut tx,
        &api.scope,
        api.user.id,
        id,
        &valid,
        &form.qualifying,
    )
    .await?
    {
        Ok(true) => {}
        Ok(false) => return Err(ApiError::NotFound),
        Err(save::EmailTaken) => return Err(taken()),
    }
    tx.commit().await?;
    Ok(Json(load(&state, &api, id).await?))
}
