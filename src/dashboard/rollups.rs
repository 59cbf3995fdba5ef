//! Keeping the rollup tables cheap to read. The triggers of `0004_dashboard.sql` write
//! signed delta rows in every writing transaction, so the figures are always exact; this
//! folds each key's rows into one so that a dashboard sums a few hundred rows, not a day's
//! worth of deltas. Any number of instances may call it: one compacts at a time (an advisory
//! lock), the others return at once.

use sqlx::PgPool;

/// Each rollup table with its key columns and its summed columns.
const ROLLUPS: [(&str, &[&str], &[&str]); 8] = [
    (
        "activity_rollup",
        &["user_id", "day", "channel"],
        &[
            "interactions",
            "decided_current",
            "decided_future",
            "decided_none",
        ],
    ),
    (
        "prospect_rollup",
        &["owner_id", "interest"],
        &["prospects", "dead_ends"],
    ),
    ("tag_rollup", &["owner_id", "tag"], &["prospects"]),
    (
        "funnel_rollup",
        &["owner_id", "cohort_day", "level"],
        &["prospects"],
    ),
    (
        "pipeline_rollup",
        &["owner_id", "stage"],
        &["opportunities", "value_cents", "weighted_cent_percent"],
    ),
    (
        "cadence_step_rollup",
        &["owner_id", "day", "cadence_id", "position"],
        &["done", "skipped", "cancelled", "replied", "meetings"],
    ),
    (
        "re_engage_rollup",
        &["owner_id", "due_on"],
        &["dates", "honoured"],
    ),
    (
        "cadence_exit_rollup",
        &["owner_id", "day", "cadence_id", "ending", "reason"],
        &["enrollments"],
    ),
];

/// Keys folded per transaction: enough to catch up quickly, small enough to commit fast.
const BATCH: i32 = 2_000;

/// An arbitrary constant naming the compaction lock among the application's advisory locks.
const COMPACTION_LOCK: i64 = 0x726f_6c6c_7570; // "rollup"

/// Folds every rollup's fresh delta rows. Returns how many keys were folded (0 when there
/// was nothing to do or another instance is compacting).
pub async fn compact(db: &PgPool) -> sqlx::Result<u64> {
    let mut folded = 0;
    for (table, keys, sums) in ROLLUPS {
        loop {
            let mut tx = db.begin().await?;
            let locked: bool = sqlx::query_scalar!(
                r#"select pg_try_advisory_xact_lock($1) as "locked!""#,
                COMPACTION_LOCK
            )
            .fetch_one(&mut *tx)
            .await?;
            if !locked {
                return Ok(folded);
            }
            let keys_folded: i32 = sqlx::query_scalar!(
                r#"select rollup_compact($1::text::regclass, $2, $3, $4) as "folded!""#,
                table,
                &keys.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
                &sums.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                BATCH
            )
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            folded += u64::try_from(keys_folded).unwrap_or(0);
            if keys_folded < BATCH {
                break;
            }
        }
    }
    Ok(folded)
}

/// Every table a refill rebuilds from its scan view: the rollups, and the comebacks (one
/// row per comeback, not sums), the costliest first.
pub const REFILLED: [&str; 9] = [
    "cadence_step_rollup",
    "activity_rollup",
    "comebacks",
    "funnel_rollup",
    "prospect_rollup",
    "tag_rollup",
    "pipeline_rollup",
    "re_engage_rollup",
    "cadence_exit_rollup",
];

/// The statement that rebuilds `table` (one of [`REFILLED`]) from the source rows; each
/// runs on its own, so a bulk loader can run several side by side.
pub fn refill_statement(table: &str) -> String {
    debug_assert!(REFILLED.contains(&table), "{table} is not refilled");
    format!("select rollup_refill('{table}')")
}

/// Rebuilds every derived column and rollup from the source rows, in one transaction, for
/// after a bulk load made with triggers off (`session_replication_role = replica`).
pub async fn refresh_all(db: &PgPool) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query!("select prospects_refresh_flow()")
        .execute(&mut *tx)
        .await?;
    for table in REFILLED {
        sqlx::query!("select rollup_refill($1)", table)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// The product's rules that the rows must keep, each as a count of the rows that break it
/// (checked by `prospector rollups verify` and the seeds' tests, with [`discrepancies`]).
///
/// Future interest puts the prospect on the nurture cadence: a future-interest prospect
/// whose pursue enrollment began before the prospect turned future was left behind by the
/// plan. (A pursue enrollment begun later is the rep's choice, or a reply during nurture.)
pub const RULES: &[(&str, &str)] = &[(
    "future-interest prospects left on the pursue cadence they were on before",
    "select count(*) from prospects p
     join enrollments e on e.prospect_id = p.id and e.status in ('active', 'paused')
     join cadences c on c.id = e.cadence_id
     where p.interest = 'future' and c.purpose = 'pursue'
       and e.started_at <= (select max(ev.occurred_at) from prospect_events ev
                            where ev.prospect_id = p.id and ev.kind = 'interest_changed'
                              and ev.to_value = 'future')",
)];

/// The rules of [`RULES`] that some rows break, one line each (empty when none is).
pub async fn broken_rules(db: &PgPool) -> sqlx::Result<Vec<String>> {
    let mut found = Vec::new();
    for (what, sql) in RULES {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(db).await?;
        if n > 0 {
            found.push(format!("{n} {what}"));
        }
    }
    Ok(found)
}

/// Where the rollups and derived columns disagree with a full scan of the source rows, one
/// line per table (empty when they all agree). A full scan: for tests and for checking a
/// database by hand, not for requests.
pub async fn discrepancies(db: &PgPool) -> sqlx::Result<Vec<String>> {
    let mut found = Vec::new();
    for (table, keys, sums) in ROLLUPS {
        let keys = keys.join(", ");
        let summed = sums
            .iter()
            .map(|s| format!("sum({s})::bigint as {s}"))
            .collect::<Vec<_>>()
            .join(", ");
        let nonzero = sums
            .iter()
            .map(|s| format!("sum({s}) <> 0"))
            .collect::<Vec<_>>()
            .join(" or ");
        let plain = sums
            .iter()
            .map(|s| format!("{s}::bigint"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "with kept as (select {keys}, {summed} from {table} group by {keys} having {nonzero}),
                  scanned as (select {keys}, {plain} from {table}_scan),
                  differ as ((select 'kept' as side, * from (select * from kept except all select * from scanned) a)
                             union all
                             (select 'scanned', * from (select * from scanned except all select * from kept) b))
             select count(*) as n, (select string_agg(d::text, '; ') from (select * from differ limit 5) d) as sample
             from differ"
        );
        let (n, sample): (i64, Option<String>) = sqlx::query_as(&sql).fetch_one(db).await?;
        if n > 0 {
            found.push(format!(
                "{table}: {n} rows differ from {table}_scan, e.g. {}",
                sample.unwrap_or_default()
            ));
        }
    }
    let flows: (i64, Option<String>) = sqlx::query_as(
        "with differ as (
             select p.id, p.open_touches, s.open_touches as scanned_open_touches,
                    p.first_touched_at, s.first_touched_at as scanned_first_touched_at,
                    p.first_touched_on, s.first_touched_on as scanned_first_touched_on,
                    p.funnel_contact_level, s.funnel_contact_level as scanned_contact_level,
                    p.funnel_opportunity_level, s.funnel_opportunity_level as scanned_opportunity_level
             from prospects p join prospect_flow_scan s on s.id = p.id
             where (p.open_touches, p.first_touched_at, p.first_touched_on, p.funnel_contact_level,
                    p.funnel_opportunity_level)
                   is distinct from
                   (s.open_touches, s.first_touched_at, s.first_touched_on, s.funnel_contact_level,
                    s.funnel_opportunity_level))
         select count(*), (select string_agg(d::text, '; ') from (select * from differ limit 5) d)
         from differ",
    )
    .fetch_one(db)
    .await?;
    if flows.0 > 0 {
        found.push(format!(
            "prospects: {} rows' derived columns differ from prospect_flow_scan, e.g. {}",
            flows.0,
            flows.1.unwrap_or_default()
        ));
    }
    for (what, sql) in [
        (
            "opportunities with an owner other than their prospect's",
            "select count(*) from opportunities o join prospects p on p.id = o.prospect_id
             where o.owner_id <> p.owner_id",
        ),
        (
            "opportunities whose last activity is not their latest interaction or stage change",
            "select count(*) from opportunities o
             where o.last_activity_at is distinct from coalesce(greatest(
                 (select max(i.occurred_at) from interactions i where i.prospect_id = o.prospect_id),
                 (select max(e.occurred_at) from prospect_events e where e.opportunity_id = o.id)),
                 o.created_at)",
        ),
        (
            "enrollments whose scheduled step is not their latest step touch's",
            "select count(*) from enrollments e
             where e.scheduled_position is distinct from
                   (select max(s.position) from touches t join cadence_steps s on s.id = t.step_id
                    where t.enrollment_id = e.id and t.kind = 'step')",
        ),
        (
            "comebacks that differ from comebacks_scan",
            "select count(*) from ((select event_id, prospect_id, user_id, day, waited_seconds from comebacks
                                    except all select * from comebacks_scan)
                                   union all
                                   (select * from comebacks_scan
                                    except all select event_id, prospect_id, user_id, day, waited_seconds
                                    from comebacks)) d",
        ),
    ] {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(db).await?;
        if n > 0 {
            found.push(format!("{n} {what}"));
        }
    }
    Ok(found)
}
