//! `prospector seed --scale`, at a small size: the rows it writes with triggers off agree
//! with everything the triggers and the application would have kept.

use prospector::{dashboard::rollups, seed::scale};
use sqlx::PgPool;

use crate::support::TestApp;

#[sqlx::test]
async fn a_small_scale_seed_keeps_every_invariant(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let sizes = scale::Sizes {
        reps: 12,
        teams: 3,
        accounts: 300,
        prospects: 3_000,
        interactions: 30_000,
    };
    let report = scale::seed(&app.state, &sizes, false).await.unwrap();
    let rows = |table: &str| {
        report
            .rows
            .iter()
            .find(|(t, _)| *t == table)
            .map(|(_, n)| *n as i64)
            .unwrap_or_else(|| panic!("{table} in the report"))
    };
    assert_eq!(rows("prospects"), 3_000);
    for table in [
        "accounts",
        "prospects",
        "interactions",
        "touches",
        "activity_rollup",
    ] {
        assert_eq!(app.count(table).await, rows(table), "{table}");
    }
    let interactions = app.count("interactions").await;
    assert!(
        (27_000..=33_000).contains(&interactions),
        "about the interactions asked for: {interactions}"
    );

    let mut found = rollups::discrepancies(&app.db).await.unwrap();
    found.extend(super::rollups::day_discrepancies(&app.db).await);
    found.extend(rollups::broken_rules(&app.db).await.unwrap());
    for (what, sql) in [
        (
            "prospects whose interest is not where their timeline's last change left it",
            "select count(*) from prospects p
             where p.interest::text <> coalesce(
                 (select e.to_value from prospect_events e
                  where e.prospect_id = p.id and e.kind = 'interest_changed'
                  order by e.occurred_at desc, e.id desc limit 1), 'new')",
        ),
        (
            "decisions without their change of interest on the timeline",
            "select count(*) from interactions i
             join prospects p on p.id = i.prospect_id
             where i.decision is not null
               and not exists (select 1 from prospect_events e
                               where e.interaction_id = i.id and e.kind = 'interest_changed')
               and i.decision::text <> coalesce(
                   (select e.to_value from prospect_events e
                    where e.prospect_id = i.prospect_id and e.kind = 'interest_changed'
                      and e.occurred_at < i.occurred_at
                    order by e.occurred_at desc, e.id desc limit 1), 'new')",
        ),
        (
            "future prospects without an open or honoured re-engage touch",
            "select count(*) from prospects p
             where p.interest = 'future' and not p.do_not_contact and p.re_engage_on >= current_date
               and not exists (select 1 from touches t where t.prospect_id = p.id
                                 and t.kind = 're_engage'
                                 and (t.status in ('pending', 'snoozed')
                                      -- honoured: done on the day (the owner's zone may be behind UTC)
                                      or (t.status = 'done'
                                          and t.due_at >= p.re_engage_on - interval '1 day')))",
        ),
        (
            "active enrollments with more than one open step",
            "select count(*) from (select enrollment_id from touches
                                   where kind = 'step' and status in ('pending', 'snoozed')
                                   group by 1 having count(*) > 1) d",
        ),
        (
            "touches owned by someone other than their prospect's owner",
            "select count(*) from touches t join prospects p on p.id = t.prospect_id
             where t.status in ('pending', 'snoozed') and t.owner_id <> p.owner_id",
        ),
    ] {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap();
        if n > 0 {
            found.push(format!("{n} {what}"));
        }
    }
    assert!(found.is_empty(), "{found:#?}");

    // The sequences continue after the copied ids: the application writes on.
    let owner: i64 = sqlx::query_scalar("select id from users where role = 'rep' limit 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let prospect = app.create_prospect(owner, "After", "Seed", None).await;
    assert!(prospect > 3_000);

    // A second run refuses the database it has seeded.
    let again = scale::seed(&app.state, &sizes, false).await.unwrap_err();
    assert!(again.to_string().contains("already"), "{again}");
}
