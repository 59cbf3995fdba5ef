//! The organisation most visibility tests start from: two teams and an admin.

use prospector::users::Role;
use sqlx::PgPool;

use super::TestApp;

/// Two teams: North (Maya the manager, reps Rita and Ravi) and South (rep Sam), and an admin.
pub struct Org {
    pub app: TestApp,
    pub maya: i64,
    pub rita: i64,
    pub ravi: i64,
    pub sam: i64,
}

pub const MAYA: &str = "maya@example.com";
pub const RITA: &str = "rita@example.com";
pub const RAVI: &str = "ravi@example.com";
pub const SAM: &str = "sam@example.com";
pub const ADMIN: &str = "alex@example.com";

pub async fn org(pool: PgPool) -> Org {
    let app = TestApp::spawn(pool).await;
    let north = app.create_team("North").await;
    let south = app.create_team("South").await;
    let maya = app
        .create_user(MAYA, "Maya Manager", Role::Manager, Some(north))
        .await;
    let rita = app
        .create_user(RITA, "Rita Rep", Role::Rep, Some(north))
        .await;
    let ravi = app
        .create_user(RAVI, "Ravi Rep", Role::Rep, Some(north))
        .await;
    let sam = app
        .create_user(SAM, "Sam South", Role::Rep, Some(south))
        .await;
    app.create_user(ADMIN, "Alex Admin", Role::Admin, None)
        .await;
    Org {
        app,
        maya,
        rita,
        ravi,
        sam,
    }
}

impl Org {
    /// The default pursue cadence "Outbound", made by Maya, with these (channel, delay) steps.
    pub async fn outbound_cadence(
        &self,
        steps: &[(prospector::interactions::Channel, i16)],
    ) -> i64 {
        self.app
            .create_cadence(
                self.maya,
                "Outbound",
                prospector::cadences::Purpose::Pursue,
                true,
                steps,
            )
            .await
    }
}
