//! The demo workspace: one team, five logins, ~50 accounts and ~300 prospects with 90
//! days of history in every channel, outcome, interest state and opportunity stage.
//!
//! History is written through the same domain functions the pages use (logging an
//! interaction, moving a stage), so the demo keeps every invariant the product keeps.
//! Seeding is idempotent: if the demo admin exists, nothing is written.

use anyhow::Context as _;
use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};
use sqlx::PgConnection;
use time::{Date, Duration, OffsetDateTime};

use crate::{
    auth::{Scope, password},
    cadences::demo::create_demo_cadences,
    interactions::{
        Channel, Outcome,
        db::log_interaction,
        form::{DecisionInput, ValidLog},
    },
    opportunities::{
        Stage,
        db::{StageChange, change_stage},
    },
    prospects::{
        QualifyingInput,
        db::{NewEvent, ProspectFields, insert, insert_event},
    },
    schedule,
    state::AppState,
    touches::{TouchKind, db::working_hours},
    users::{Role, db as users_db},
};

pub const PASSWORD: &str = "prospector-demo";
const TEAM: &str = "Demo Sales";
const ACCOUNTS: usize = 50;
const PROSPECTS: usize = 300;
const HISTORY_DAYS: i64 = 90;

struct DemoUser {
    email: &'static str,
    name: &'static str,
    role: Role,
    time_zone: &'static str,
}

const USERS: [DemoUser; 5] = [
    DemoUser {
        email: "admin@demo.test",
        name: "Alex Admin",
        role: Role::Admin,
        time_zone: "America/New_York",
    },
    DemoUser {
        email: "manager@demo.test",
        name: "Morgan Manager",
        role: Role::Manager,
        time_zone: "America/New_York",
    },
    DemoUser {
        email: "rep1@demo.test",
        name: "Riley Parker",
        role: Role::Rep,
        time_zone: "America/New_York",
    },
    DemoUser {
        email: "rep2@demo.test",
        name: "Jordan Reyes",
        role: Role::Rep,
        time_zone: "America/Chicago",
    },
    DemoUser {
        email: "rep3@demo.test",
        name: "Sam Okafor",
        role: Role::Rep,
        time_zone: "Europe/London",
    },
];

const COMPANY_STEMS: [&str; 25] = [
    "Northwind",
    "Blue Harbor",
    "Redwood",
    "Summit",
    "Ironbridge",
    "Brightline",
    "Cobalt",
    "Evergreen",
    "Granite",
    "Harborview",
    "Keystone",
    "Lakeshore",
    "Meridian",
    "Oakridge",
    "Pinecrest",
    "Quarry",
    "Riverbend",
    "Silverline",
    "Stonegate",
    "Tidewater",
    "Westfield",
    "Clearwater",
    "Copperleaf",
    "Falconer",
    "Horizon",
];
/// (name suffix, industry)
const COMPANY_KINDS: [(&str, &str); 10] = [
    ("Logistics", "Transportation & logistics"),
    ("Health", "Healthcare"),
    ("Analytics", "Software"),
    ("Manufacturing", "Industrial manufacturing"),
    ("Foods", "Food & beverage"),
    ("Energy", "Energy & utilities"),
    ("Software", "Software"),
    ("Capital", "Financial services"),
    ("Retail", "Retail"),
    ("Labs", "Biotechnology"),
];
const TERRITORIES: [&str; 5] = ["Northeast", "Southeast", "Midwest", "West", "UK & Ireland"];
const FIRST_NAMES: [&str; 40] = [
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
    "Mia", "Mateo", "Amelia", "Ethan", "Harper", "Aiden", "Evelyn", "Daniel", "Priya", "Wei",
    "Fatima", "Kenji", "Chloe", "Omar", "Grace", "Diego", "Hannah", "Samuel", "Zoe", "Ibrahim",
    "Nora", "Gabriel", "Leah", "Arjun", "Maya", "Tomás", "Ingrid", "Kwame", "Elena", "Yusuf",
];
const LAST_NAMES: [&str; 40] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Hill",
    "Flores",
    "Patel",
];
const TITLES: [&str; 16] = [
    "VP of Operations",
    "Head of Procurement",
    "Director of IT",
    "Chief Financial Officer",
    "Operations Manager",
    "Supply Chain Director",
    "VP of Sales",
    "Head of Marketing",
    "IT Manager",
    "Chief Operating Officer",
    "Facilities Director",
    "Finance Manager",
    "Head of Engineering",
    "Purchasing Lead",
    "Chief Technology Officer",
    "General Manager",
];
const SOURCES: [&str; 6] = [
    "Referral",
    "Trade show",
    "Inbound web form",
    "LinkedIn",
    "Cold list",
    "Webinar",
];
const TAGS: [&str; 8] = [
    "enterprise",
    "mid-market",
    "smb",
    "expansion",
    "priority",
    "emea",
    "champion",
    "competitor-user",
];
const NEEDS: [&str; 5] = [
    "Consolidate three legacy tools into one platform",
    "Cut fulfilment errors before peak season",
    "Give the sales team visibility into pipeline",
    "Automate monthly reporting for the board",
    "Replace a vendor whose contract ends next year",
];
const BUDGETS: [&str; 4] = [
    "Budget approved for Q2, about $40k",
    "No budget this year; planning cycle starts in September",
    "Discretionary spend up to $15k without committee",
    "Budget sits with the CFO; needs a business case",
];
const AUTHORITIES: [&str; 4] = [
    "Decides with the CFO; procurement signs",
    "Influencer; the COO makes the call",
    "Final decision maker for the department",
    "Committee of four; IT has a veto",
];
const TIMELINES: [&str; 4] = [
    "Wants to go live before the end of the quarter",
    "Revisit after the current contract renews in spring",
    "Evaluating options over the next six months",
    "No fixed date; depends on the reorganisation",
];
const NO_INTEREST_REASONS: [&str; 4] = [
    "Just signed a three-year contract with a competitor",
    "Company is being acquired; all purchasing frozen",
    "Not the right fit: too small for our product",
    "Asked not to be contacted again",
];
const LOST_REASONS: [&str; 3] = [
    "Chose a cheaper competitor",
    "Project cancelled",
    "Budget cut mid-year",
];
const NOTES: [&str; 8] = [
    "Good conversation; interested in the reporting module.",
    "Gatekeeper answered; call back Tuesday morning.",
    "Sent the case study they asked for.",
    "Walked through pricing; wants to involve finance.",
    "Met at the booth; scanned badge.",
    "Short call, they were between meetings.",
    "Replied to the follow-up email with questions about integrations.",
    "Demo went well; next step is a proposal.",
];

/// How a prospect's story ends in the demo.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Story {
    Untouched,
    NoAnswerYet,
    Current(Stage),
    Future,
    /// Future interest whose re-engage date has come: worked (on the day or late) and found
    /// current interest again.
    CameBack {
        late: bool,
    },
    /// Future interest whose re-engage date has come and gone without a touch.
    ReEngageMissed,
    NoInterest,
    Customer,
    Lost {
        revisit: bool,
    },
}

fn pick_story(rng: &mut StdRng) -> Story {
    match rng.random_range(0..100) {
        0..8 => Story::Untouched,
        8..16 => Story::NoAnswerYet,
        16..26 => Story::Current(Stage::Qualifying),
        26..32 => Story::Current(Stage::Meeting),
        32..37 => Story::Current(Stage::Proposal),
        37..41 => Story::Current(Stage::Negotiation),
        41..55 => Story::Future,
        55..60 => Story::CameBack { late: false },
        60..62 => Story::CameBack { late: true },
        62..66 => Story::ReEngageMissed,
        66..78 => Story::NoInterest,
        78..88 => Story::Customer,
        88..94 => Story::Lost { revisit: true },
        _ => Story::Lost { revisit: false },
    }
}

pub async fn seed(state: &AppState) -> anyhow::Result<String> {
    let already = users_db::find_for_login(&state.db, USERS[0].email)
        .await?
        .is_some();
    if !already {
        let mut hashes = Vec::new();
        for _ in &USERS {
            hashes.push(password::hash_password(state, PASSWORD.to_string()).await?);
        }
        let mut tx = state.db.begin().await?;
        write_workspace(&mut tx, &hashes)
            .await
            .context("writing the demo workspace")?;
        tx.commit().await?;
    }

    let mut report = String::new();
    report.push_str(if already {
        "The demo workspace is already there; nothing was changed.\n"
    } else {
        "The demo workspace is ready.\n"
    });
    report.push_str(&format!(
        "\nOpen {} and sign in with any of these (password: {PASSWORD}):\n",
        state.config.base_url
    ));
    for user in &USERS {
        report.push_str(&format!("  {:<20} {}\n", user.email, user.role.label()));
    }
    Ok(report)
}

async fn write_workspace(conn: &mut PgConnection, hashes: &[String]) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(2008);
    let team_id = users_db::ensure_team(conn, TEAM).await?;
    let mut rep_ids = Vec::new();
    let mut admin_id = None;
    for (user, hash) in USERS.iter().zip(hashes) {
        let id = users_db::insert_user(
            &mut *conn,
            &users_db::NewUser {
                email: user.email,
                name: user.name,
                role: user.role,
                team_id: Some(team_id),
                time_zone: user.time_zone,
                password_hash: Some(hash),
            },
        )
        .await?;
        match user.role {
            Role::Rep => rep_ids.push(id),
            Role::Admin => admin_id = Some(id),
            Role::Manager => {}
        }
    }
    let admin_id = admin_id.context("the demo has an admin")?;
    // Cadences first: the history below enrolls prospects as its decisions are logged.
    create_demo_cadences(conn, admin_id).await?;

    let accounts = write_accounts(conn, &mut rng, &rep_ids).await?;
    let now = OffsetDateTime::now_utc();
    let today = now.date();
    let mut used_emails = std::collections::HashSet::new();

    for n in 0..PROSPECTS {
        let &(account_id, owner_id, ref domain) =
            accounts.choose(&mut rng).expect("accounts exist");
        let first = *FIRST_NAMES.choose(&mut rng).expect("names");
        let last = *LAST_NAMES.choose(&mut rng).expect("names");
        let mut email = format!("{}.{}@{domain}", ascii_lower(first), ascii_lower(last));
        if !used_emails.insert(email.clone()) {
            email = format!("{}.{}{n}@{domain}", ascii_lower(first), ascii_lower(last));
            used_emails.insert(email.clone());
        }
        let tag_count = rng.random_range(0..3);
        let tags: Vec<String> = TAGS
            .choose_multiple(&mut rng, tag_count)
            .map(|t| t.to_string())
            .collect();
        let fields = ProspectFields {
            account_id: Some(account_id),
            first_name: first.to_string(),
            last_name: last.to_string(),
            title: TITLES.choose(&mut rng).expect("titles").to_string(),
            email: Some(email),
            phone: format!(
                "+1 555 {:03} {:04}",
                rng.random_range(100..999),
                rng.random_range(0..9999)
            ),
            linkedin_url: format!(
                "https://www.linkedin.com/in/{}-{}-{n}",
                ascii_lower(first),
                ascii_lower(last)
            ),
            source: SOURCES.choose(&mut rng).expect("sources").to_string(),
            tags,
            do_not_contact: false,
        };
        let prospect_id = insert(&mut *conn, owner_id, &fields).await?;
        let created_at = now - Duration::days(rng.random_range(HISTORY_DAYS..HISTORY_DAYS + 30));
        sqlx::query!(
            "update prospects set created_at = $2, updated_at = $2 where id = $1",
            prospect_id,
            created_at
        )
        .execute(&mut *conn)
        .await?;
        insert_event(
            &mut *conn,
            NewEvent {
                occurred_at: Some(created_at),
                ..NewEvent::new(prospect_id, owner_id, "created")
            },
        )
        .await?;

        let story = pick_story(&mut rng);
        write_history(conn, &mut rng, prospect_id, owner_id, story, now, today).await?;
    }
    spread_open_touches(conn, &mut rng, now).await?;
    Ok(())
}

/// History ends at different times for each prospect, which would leave most open touches
/// long overdue. Spread them the way a working team's queue looks: a few overdue, a good
/// handful today, the rest over the next two weeks, inside each owner's working hours.
async fn spread_open_touches(
    conn: &mut PgConnection,
    rng: &mut StdRng,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let open = sqlx::query!(
        "select id, owner_id from touches where status = 'pending' and kind = 'step' order by id"
    )
    .fetch_all(&mut *conn)
    .await?;
    for touch in open {
        let hours = working_hours(&mut *conn, touch.owner_id).await?;
        let local_today =
            crate::web::format::local_date(now, hours.time_zone.iana_name().unwrap_or("UTC"));
        let offset: i64 = match rng.random_range(0..100) {
            0..12 => -rng.random_range(1..4),
            12..40 => 0,
            _ => rng.random_range(1..14),
        };
        let mut day = local_today + Duration::days(offset);
        while !schedule::is_business_day(day) {
            day += Duration::days(if offset < 0 { -1 } else { 1 });
        }
        let minutes = rng.random_range(0..((hours.end - hours.start).whole_minutes().max(1)));
        let at = schedule::local_instant(
            day,
            hours.start + Duration::minutes(minutes),
            &hours.time_zone,
        )
        .unwrap_or(now);
        sqlx::query!("update touches set due_at = $2 where id = $1", touch.id, at)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The prospect's next open touch (of `kind`, if given), so the next interaction
/// is logged from it as a rep working their queue would.
async fn open_touch(
    conn: &mut PgConnection,
    prospect_id: i64,
    kind: Option<TouchKind>,
) -> anyhow::Result<Option<i64>> {
    let id = sqlx::query_scalar!(
        r#"select id from touches
           where prospect_id = $1 and status = 'pending' and ($2::touch_kind is null or kind = $2)
           order by due_at, id limit 1"#,
        prospect_id,
        kind as Option<TouchKind>
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(id)
}

fn ascii_lower(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'á' | 'à' => 'a',
            'é' => 'e',
            'ó' => 'o',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase()
}

/// Inserts the accounts; returns (id, owner, domain) for each.
async fn write_accounts(
    conn: &mut PgConnection,
    rng: &mut StdRng,
    rep_ids: &[i64],
) -> anyhow::Result<Vec<(i64, i64, String)>> {
    let mut accounts = Vec::new();
    for i in 0..ACCOUNTS {
        let stem = COMPANY_STEMS[i % COMPANY_STEMS.len()];
        let (suffix, industry) =
            COMPANY_KINDS[(i * 7 + i / COMPANY_STEMS.len()) % COMPANY_KINDS.len()];
        let name = format!("{stem} {suffix}");
        let domain = format!("{}-{}.example", ascii_lower(stem), ascii_lower(suffix));
        let owner_id = rep_ids[i % rep_ids.len()];
        let employees = *[25, 80, 150, 400, 1200, 5000, 20000]
            .choose(rng)
            .expect("sizes");
        let id = sqlx::query_scalar!(
            r#"insert into accounts (owner_id, name, domain, industry, employee_count, territory)
               values ($1, $2, $3, $4, $5, $6) returning id"#,
            owner_id,
            name,
            domain,
            industry,
            employees,
            TERRITORIES[i % TERRITORIES.len()],
        )
        .fetch_one(&mut *conn)
        .await?;
        accounts.push((id, owner_id, domain));
    }
    Ok(accounts)
}

fn qualifying(rng: &mut StdRng, richness: usize) -> QualifyingInput {
    let mut input = QualifyingInput::default();
    let pick =
        |rng: &mut StdRng, options: &[&str]| options.choose(rng).expect("options").to_string();
    if richness >= 1 {
        input.need = pick(rng, &NEEDS);
    }
    if richness >= 2 {
        input.timeline = pick(rng, &TIMELINES);
    }
    if richness >= 3 {
        input.budget = pick(rng, &BUDGETS);
        input.authority = pick(rng, &AUTHORITIES);
    }
    input
}

/// Logs a prospect's interactions oldest first, ending in the story's state.
async fn write_history(
    conn: &mut PgConnection,
    rng: &mut StdRng,
    prospect_id: i64,
    owner_id: i64,
    story: Story,
    now: OffsetDateTime,
    today: Date,
) -> anyhow::Result<()> {
    if story == Story::Untouched {
        return Ok(());
    }
    let scope = Scope::everyone();
    let attempts = rng.random_range(1..4);
    // A re-engage date that has come needs a decision weeks before it.
    let earliest_start = match story {
        Story::CameBack { .. } | Story::ReEngageMissed => 50,
        _ => 20,
    };
    let mut at = now
        - Duration::days(rng.random_range(earliest_start..HISTORY_DAYS))
        - Duration::minutes(rng.random_range(0..600));
    let step = |rng: &mut StdRng, at: OffsetDateTime| {
        (at + Duration::days(rng.random_range(1..7)) + Duration::minutes(rng.random_range(0..300)))
            .min(now - Duration::hours(1))
    };
    let log = |channel, outcome, decision, qualifying: QualifyingInput, at, notes: &str| ValidLog {
        channel,
        outcome,
        occurred_at: at,
        notes: notes.to_string(),
        decision,
        qualifying,
    };

    // Reaching out before anyone answers: every story starts this way.
    for _ in 0..attempts {
        let channel = *[
            Channel::Call,
            Channel::Email,
            Channel::Linkedin,
            Channel::Mail,
            Channel::Other,
        ]
        .choose(rng)
        .expect("channels");
        let outcome = if channel == Channel::Call {
            *[Outcome::NoAnswer, Outcome::LeftMessage]
                .choose(rng)
                .expect("outcomes")
        } else {
            Outcome::NoAnswer
        };
        let entry = log(
            channel,
            outcome,
            DecisionInput::Unassessed,
            QualifyingInput::default(),
            at,
            "",
        );
        {
            let touch = open_touch(conn, prospect_id, None).await?;
            log_interaction(conn, &scope, owner_id, prospect_id, &entry, touch).await?;
        }
        at = step(rng, at);
    }
    let note = *NOTES.choose(rng).expect("notes");
    let first_contact = *[
        Channel::Call,
        Channel::Email,
        Channel::Event,
        Channel::Linkedin,
    ]
    .choose(rng)
    .expect("channels");

    match story {
        Story::Untouched => {}
        Story::NoAnswerYet => {
            if rng.random_bool(0.3) {
                let entry = log(
                    Channel::Email,
                    Outcome::BadData,
                    DecisionInput::Unassessed,
                    QualifyingInput::default(),
                    at,
                    "Email bounced; the address looks outdated.",
                );
                {
                    let touch = open_touch(conn, prospect_id, None).await?;
                    log_interaction(conn, &scope, owner_id, prospect_id, &entry, touch).await?;
                }
            }
        }
        Story::Future => {
            let re_engage_on = today + Duration::days(rng.random_range(1..150));
            let richness = rng.random_range(1..4);
            let entry = log(
                first_contact,
                Outcome::Connected,
                DecisionInput::Future { re_engage_on },
                qualifying(rng, richness),
                at,
                note,
            );
            {
                let touch = open_touch(conn, prospect_id, None).await?;
                log_interaction(conn, &scope, owner_id, prospect_id, &entry, touch).await?;
            }
        }
        Story::CameBack { .. } | Story::ReEngageMissed => {
            // The date was set weeks ago and has come: a past date, from a past decision.
            let re_engage_on = (at + Duration::days(rng.random_range(5..20))).date();
            let entry = log(
                first_contact,
                Outcome::Connected,
                DecisionInput::Future { re_engage_on },
                qualifying(rng, 2),
                at,
                note,
            );
            {
                let touch = open_touch(conn, prospect_id, None).await?;
                log_interaction(conn, &scope, owner_id, prospect_id, &entry, touch).await?;
            }
            if let Story::CameBack { late } = story {
                let hours = working_hours(&mut *conn, owner_id).await?;
                let day = if late {
                    re_engage_on + Duration::days(rng.random_range(1..4))
                } else {
                    re_engage_on
                };
                let back_at = schedule::local_instant(day, hours.start, &hours.time_zone)
                    .unwrap_or(at)
                    + Duration::minutes(rng.random_range(30..240));
                let entry = log(
                    Channel::Call,
                    Outcome::Connected,
                    DecisionInput::Current {
                        name: None,
                        stage: Stage::Qualifying,
                        value_cents: Some(rng.random_range(50..600) * 10_000),
                        expected_close_on: Some(today + Duration::days(rng.random_range(20..120))),
                    },
                    qualifying(rng, 3),
                    back_at.min(now - Duration::hours(1)),
                    "They are ready now: the timing we agreed on has come.",
                );
                let touch = open_touch(conn, prospect_id, Some(TouchKind::ReEngage)).await?;
                log_interaction(conn, &scope, owner_id, prospect_id, &entry, touch).await?;
            }
        }
        Story::NoInterest => {
            let reason = NO_INTEREST_REASONS
                .choose(rng)
                .expect("reasons")
                .to_string();
            let do_not_contact = reason.contains("not to be contacted");
            let entry = log(
                Channel::Call,
                Outcome::NotInterested,
                DecisionInput::None {
                    reason,
                    do_not_contact,
                },
                QualifyingInput::default(),
                at,
                "",
            );
            {
                let touch = open_touch(conn, prospect_id, None).await?;
                log_interaction(conn, &scope, owner_id, prospect_id, &entry, touch).await?;
            }
        }
        Story::Current(_) | Story::Customer | Story::Lost { .. } => {
            let value_cents = Some(rng.random_range(50..900) * 10_000);
            let expected_close_on = Some(today + Duration::days(rng.random_range(10..120)));
            let booked = log(
                first_contact,
                Outcome::MeetingBooked,
                DecisionInput::Current {
                    name: None,
                    stage: Stage::Qualifying,
                    value_cents,
                    expected_close_on,
                },
                qualifying(rng, 1),
                at,
                note,
            );
            {
                let touch = open_touch(conn, prospect_id, None).await?;
                log_interaction(conn, &scope, owner_id, prospect_id, &booked, touch).await?;
            }
            let target = match story {
                Story::Current(stage) => stage,
                _ => *[Stage::Meeting, Stage::Proposal, Stage::Negotiation]
                    .choose(rng)
                    .expect("stages"),
            };
            for stage in Stage::OPEN
                .into_iter()
                .skip(1)
                .take_while(|s| *s as u8 <= target as u8)
            {
                at = step(rng, at);
                let (channel, outcome) = match stage {
                    Stage::Meeting => (Channel::Meeting, Outcome::MeetingHeld),
                    Stage::Proposal => (Channel::Email, Outcome::Replied),
                    _ => (Channel::Call, Outcome::Connected),
                };
                let entry = log(
                    channel,
                    outcome,
                    DecisionInput::Current {
                        name: None,
                        stage,
                        value_cents: None,
                        expected_close_on: None,
                    },
                    qualifying(rng, 3),
                    at,
                    NOTES.choose(rng).expect("notes"),
                );
                {
                    let touch = open_touch(conn, prospect_id, None).await?;
                    log_interaction(conn, &scope, owner_id, prospect_id, &entry, touch).await?;
                }
            }
            if matches!(story, Story::Customer | Story::Lost { .. }) {
                at = step(rng, at);
                let open: i64 = sqlx::query_scalar!(
                    "select id from opportunities where prospect_id = $1 and stage not in ('won', 'lost')
                     order by updated_at desc, id desc limit 1",
                    prospect_id
                )
                .fetch_optional(&mut *conn)
                .await?
                .context("an open opportunity")?;
                let change = match story {
                    Story::Customer => StageChange {
                        to: Stage::Won,
                        lost_reason: None,
                        revisit_on: None,
                        occurred_at: Some(at),
                    },
                    Story::Lost { revisit } => StageChange {
                        to: Stage::Lost,
                        lost_reason: LOST_REASONS.choose(rng).copied(),
                        revisit_on: revisit
                            .then(|| today + Duration::days(rng.random_range(2..120))),
                        occurred_at: Some(at),
                    },
                    _ => unreachable!("only closing stories reach here"),
                };
                change_stage(conn, &scope, owner_id, open, &change).await?;
            }
        }
    }
    Ok(())
}
