//! Enrolling prospects in cadences, one or many, through the follow-up engine (which also
//! runs the enrollment state machine: enroll → active ⇄ paused; active → completed or
//! exited; see `process::rules`).

use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::{
    auth::Scope,
    process::{Cadence, EnrollRefusal, Event, enrollment_target, store},
};

/// What asking to enroll one prospect came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollOutcome {
    Enrolled {
        enrollment_id: i64,
        cadence: String,
    },
    AlreadyFollowing {
        cadence: String,
    },
    DoNotContact,
    /// The cadence asked for does not exist or is archived (or, without one, no default
    /// cadence fits the prospect).
    NoCadence,
}

/// Enrolls one prospect (locked here; `None` if outside the scope) in `cadence_id`, or
/// without one in the default cadence that fits its interest: nurture for future
/// interest, pursue otherwise. Another live enrollment is exited ("Moved to …").
pub async fn enroll_prospect(
    conn: &mut PgConnection,
    scope: &Scope,
    actor_id: i64,
    prospect_id: i64,
    cadence_id: Option<i64>,
) -> sqlx::Result<Option<EnrollOutcome>> {
    let Some(mut loaded) = store::load(conn, scope, prospect_id).await? else {
        return Ok(None);
    };
    if let Some(id) = cadence_id {
        match store::chosen_cadence(conn, id).await? {
            Some(cadence) => loaded.cadences.chosen = Some(cadence),
            None if loaded.state.do_not_contact => return Ok(Some(EnrollOutcome::DoNotContact)),
            None => return Ok(Some(EnrollOutcome::NoCadence)),
        }
    }
    let name = match enrollment_target(&loaded.state, &loaded.cadences, false) {
        Ok(cadence) => cadence.name.clone(),
        Err(EnrollRefusal::DoNotContact) => return Ok(Some(EnrollOutcome::DoNotContact)),
        Err(EnrollRefusal::AlreadyFollowing) => {
            let cadence = loaded.state.live.as_ref().map(|l| l.name.clone());
            return Ok(Some(EnrollOutcome::AlreadyFollowing {
                cadence: cadence.unwrap_or_default(),
            }));
        }
        Err(EnrollRefusal::NoCadence | EnrollRefusal::NotEligible) => {
            return Ok(Some(EnrollOutcome::NoCadence));
        }
    };
    let change = loaded.decide(
        &Event::EnrollRequested { bulk: false },
        OffsetDateTime::now_utc(),
        Some(actor_id),
    );
    let applied = store::apply(conn, &[change]).await?;
    Ok(Some(match applied.enrollments.get(&prospect_id) {
        Some(&enrollment_id) => EnrollOutcome::Enrolled {
            enrollment_id,
            cadence: name,
        },
        None => EnrollOutcome::AlreadyFollowing { cadence: name },
    }))
}

/// Enrolls many prospects at once in `cadence`, for a bulk action or an import: those of
/// `prospect_ids` that are contactable, open (new, current or future interest) and not
/// already on a cadence. The scheduler, woken at commit, schedules their first touches in
/// batches. Returns how many were enrolled. The caller has checked the ids against its
/// scope.
pub async fn enroll_many(
    conn: &mut PgConnection,
    actor_id: i64,
    cadence: &Cadence,
    prospect_ids: &[i64],
) -> sqlx::Result<i64> {
    let mut ids = prospect_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let now = OffsetDateTime::now_utc();
    let changes: Vec<_> = store::load_many(conn, &Scope::everyone(), &ids, store::Detail::Plan)
        .await?
        .into_iter()
        .map(|mut loaded| {
            loaded.cadences.chosen = Some(cadence.clone());
            loaded.decide(&Event::EnrollRequested { bulk: true }, now, Some(actor_id))
        })
        .filter(|change| !change.is_empty())
        .collect();
    let applied = store::apply(conn, &changes).await?;
    Ok(applied.enrollments.len() as i64)
}
