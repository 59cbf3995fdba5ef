//! Rows that tests start from. Users are inserted through the app's own query with one
//! argon2 hash computed for the whole test binary: hashing is deliberately slow.

use prospector::{
    auth::password::hash_password,
    users::{Role, db as users_db},
};
use tokio::sync::OnceCell;

use super::TestApp;

/// Every fixture user's password.
pub const PASSWORD: &str = "correct horse battery staple";

static PASSWORD_HASH: OnceCell<String> = OnceCell::const_new();

impl TestApp {
    async fn password_hash(&self) -> &'static str {
        PASSWORD_HASH
            .get_or_init(|| async {
                hash_password(&self.state, PASSWORD.to_owned())
                    .await
                    .expect("hash the password")
            })
            .await
    }

    pub async fn create_team(&self, name: &str) -> i64 {
        users_db::insert_team(&self.db, name)
            .await
            .expect("insert a team")
    }

    /// An active user in UTC whose password is `PASSWORD`.
    pub async fn create_user(
        &self,
        email: &str,
        name: &str,
        role: Role,
        team_id: Option<i64>,
    ) -> i64 {
        let password_hash = self.password_hash().await;
        let user = users_db::NewUser {
            email,
            name,
            role,
            team_id,
            time_zone: "UTC",
            password_hash: Some(password_hash),
        };
        users_db::insert_user(&self.db, &user)
            .await
            .expect("insert a user")
    }

    pub async fn create_prospect(
        &self,
        owner_id: i64,
        first: &str,
        last: &str,
        email: Option<&str>,
    ) -> i64 {
        sqlx::query_scalar(
            "insert into prospects (owner_id, first_name, last_name, email)
             values ($1, $2, $3, $4) returning id",
        )
        .bind(owner_id)
        .bind(first)
        .bind(last)
        .bind(email)
        .fetch_one(&self.db)
        .await
        .expect("insert a prospect")
    }
}

impl TestApp {
    /// A cadence (through the app's own `cadences::db::create`) with one step per
    /// (channel, delay in business days); returns its id.
    pub async fn create_cadence(
        &self,
        created_by: i64,
        name: &str,
        purpose: prospector::cadences::Purpose,
        is_default: bool,
        steps: &[(prospector::interactions::Channel, i16)],
    ) -> i64 {
        use prospector::cadences::db::{CadenceInput, StepInput, create};
        let input = CadenceInput {
            name: name.into(),
            purpose,
            description: String::new(),
            is_default,
            steps: steps
                .iter()
                .map(|(channel, delay)| StepInput {
                    channel: *channel,
                    delay_business_days: *delay,
                    window: None,
                    instructions: format!("{} the prospect", channel.label()),
                    template: "Hi {{first_name}}".into(),
                })
                .collect(),
        };
        let mut conn = self.db.acquire().await.expect("a connection");
        create(&mut conn, created_by, &input)
            .await
            .expect("create a cadence")
    }
}
