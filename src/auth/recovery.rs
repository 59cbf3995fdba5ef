//! One-time links by email: the invitation an admin's new user receives to choose a
//! password, and the password reset. Tokens are random, stored only as a SHA-256 hash,
//! expire (an invitation after 7 days, a reset after an hour) and work once.
//!
//! A reset is asked for in two steps, so that asking takes the same time whether or not
//! the email is an account's: the request only queues the email (`request_reset`), and the
//! scheduler looks it up and sends the link (`answer_reset_requests`).

use askama::Template;
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};

use super::secret::{self, hash};
use crate::mail::outbox::{self, NewMail};

/// At most this many reset emails per account and hour: a stranger cannot flood an inbox.
const RESETS_PER_HOUR: i64 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Invitation,
    PasswordReset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Invitation => "invitation",
            Purpose::PasswordReset => "password_reset",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "invitation" => Some(Purpose::Invitation),
            "password_reset" => Some(Purpose::PasswordReset),
            _ => None,
        }
    }

    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::Invitation => Duration::days(7),
            Purpose::PasswordReset => Duration::hours(1),
        }
    }
}

/// The person a link is for.
pub struct Recipient<'a> {
    pub user_id: i64,
    pub email: &'a str,
    pub name: &'a str,
}

#[derive(Template)]
#[template(path = "email/invitation/subject.txt")]
struct InvitationSubject;

#[derive(Template)]
#[template(path = "email/invitation/body.txt")]
struct InvitationText<'a> {
    name: &'a str,
    link: &'a str,
    preferences: &'a str,
}

#[derive(Template)]
#[template(path = "email/invitation/body.html")]
struct InvitationHtml<'a> {
    name: &'a str,
    link: &'a str,
    preferences: &'a str,
}

#[derive(Template)]
#[template(path = "email/password_reset/subject.txt")]
struct ResetSubject;

#[derive(Template)]
#[template(path = "email/password_reset/body.txt")]
struct ResetText<'a> {
    name: &'a str,
    link: &'a str,
    preferences: &'a str,
}

#[derive(Template)]
#[template(path = "email/password_reset/body.html")]
struct ResetHtml<'a> {
    name: &'a str,
    link: &'a str,
    preferences: &'a str,
}

/// Issues a token and queues its email (with links under `base_url`), in the caller's
/// transaction.
pub async fn issue(
    conn: &mut PgConnection,
    base_url: &url::Url,
    to: &Recipient<'_>,
    purpose: Purpose,
) -> anyhow::Result<()> {
    let token = secret::generate("");
    let expires_at = OffsetDateTime::now_utc() + purpose.lifetime();
    let token_id = sqlx::query_scalar!(
        r#"insert into auth_tokens (user_id, purpose, token_hash, expires_at)
           values ($1, $2, $3, $4) returning id"#,
        to.user_id,
        purpose.as_str(),
        hash(&token),
        expires_at
    )
    .fetch_one(&mut *conn)
    .await?;

    let base = base_url.as_str().trim_end_matches('/');
    let link = format!("{base}/password/reset?token={token}");
    let preferences = format!("{base}/settings/reminders");
    let (subject, body_text, body_html) = match purpose {
        Purpose::Invitation => (
            InvitationSubject.render()?,
            InvitationText {
                name: to.name,
                link: &link,
                preferences: &preferences,
            }
            .render()?,
            InvitationHtml {
                name: to.name,
                link: &link,
                preferences: &preferences,
            }
            .render()?,
        ),
        Purpose::PasswordReset => (
            ResetSubject.render()?,
            ResetText {
                name: to.name,
                link: &link,
                preferences: &preferences,
            }
            .render()?,
            ResetHtml {
                name: to.name,
                link: &link,
                preferences: &preferences,
            }
            .render()?,
        ),
    };
    outbox::enqueue(
        &mut *conn,
        &NewMail {
            idempotency_key: format!("{}:{token_id}", purpose.as_str()),
            kind: purpose.as_str(),
            user_id: Some(to.user_id),
            to_address: to.email.to_string(),
            to_name: to.name.to_string(),
            subject: subject.trim().to_string(),
            body_text,
            body_html,
        },
    )
    .await?;
    Ok(())
}

/// A valid, unused, unexpired token.
pub struct Redeemable {
    pub token_id: i64,
    pub user_id: i64,
    pub purpose: Purpose,
    pub name: String,
    pub email: String,
}

/// Looks the token up; with `lock`, locks it for use in this transaction.
pub async fn find(
    conn: &mut PgConnection,
    token: &str,
    lock: bool,
) -> sqlx::Result<Option<Redeemable>> {
    let row = if lock {
        sqlx::query!(
            r#"select t.id, t.user_id, t.purpose, u.name, u.email::text as "email!"
               from auth_tokens t join users u on u.id = t.user_id
               where t.token_hash = $1 and t.used_at is null and t.expires_at > now() and u.active
               for update of t"#,
            hash(token)
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| (r.id, r.user_id, r.purpose, r.name, r.email))
    } else {
        sqlx::query!(
            r#"select t.id, t.user_id, t.purpose, u.name, u.email::text as "email!"
               from auth_tokens t join users u on u.id = t.user_id
               where t.token_hash = $1 and t.used_at is null and t.expires_at > now() and u.active"#,
            hash(token)
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| (r.id, r.user_id, r.purpose, r.name, r.email))
    };
    Ok(row.and_then(|(token_id, user_id, purpose, name, email)| {
        Some(Redeemable {
            token_id,
            user_id,
            purpose: Purpose::parse(&purpose)?,
            name,
            email,
        })
    }))
}

/// Uses the token: it and every other open token of the user for the same purpose stop working.
pub async fn consume(conn: &mut PgConnection, token: &Redeemable) -> sqlx::Result<()> {
    sqlx::query!(
        r#"update auth_tokens set used_at = now()
           where user_id = $1 and purpose = $2 and used_at is null"#,
        token.user_id,
        token.purpose.as_str()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Reset emails sent to this user in the last hour, to cap how many a stranger can trigger.
pub async fn recent_resets(conn: &mut PgConnection, user_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from auth_tokens
           where user_id = $1 and purpose = 'password_reset' and created_at > now() - interval '1 hour'"#,
        user_id
    )
    .fetch_one(conn)
    .await
}

/// Queues a reset for `email`, whoever it belongs to, and wakes the scheduler.
pub async fn request_reset(conn: &mut PgConnection, email: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into password_reset_requests (email) values ($1)",
        email
    )
    .execute(&mut *conn)
    .await?;
    crate::wakeup::notify(conn).await
}

/// Answers up to `limit` queued reset requests: a link to each active account asked for
/// (at most [`RESETS_PER_HOUR`] an hour), nothing to the others. Requests are claimed
/// with `skip locked`, so several schedulers share them and each is answered once.
/// Returns how many links were sent and how many requests were answered.
pub async fn answer_reset_requests(
    conn: &mut PgConnection,
    base_url: &url::Url,
    limit: i64,
) -> anyhow::Result<(u64, u64)> {
    let requests = sqlx::query_scalar!(
        r#"delete from password_reset_requests
           where id in (select id from password_reset_requests
                        order by id limit $1 for update skip locked)
           returning email::text as "email!""#,
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut sent = 0;
    for email in &requests {
        let user = sqlx::query!(
            r#"select id, name from users where email = $1 and active"#,
            email
        )
        .fetch_optional(&mut *conn)
        .await?;
        let Some(user) = user else { continue };
        if recent_resets(conn, user.id).await? >= RESETS_PER_HOUR {
            continue;
        }
        let to = Recipient {
            user_id: user.id,
            email,
            name: &user.name,
        };
        issue(conn, base_url, &to, Purpose::PasswordReset).await?;
        sent += 1;
    }
    Ok((sent, requests.len() as u64))
}
