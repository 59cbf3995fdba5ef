-- The manager dashboard's figures, kept current in the writing transaction.
--
-- * Derived columns on the rows themselves: the local day an interaction happened on, when
--   a touch was closed and by whose clock, who owned a prospect when its enrollment ended,
--   each prospect's open touches and how far it has come through the funnel. BEFORE row
--   triggers and AFTER statement triggers keep them; every writer that changes a prospect's
--   plan locks the prospect row first, so these per-prospect updates never race.
-- * Rollup tables of deltas. Statement triggers only ever INSERT signed delta rows (one per
--   key and statement), so writers never wait on each other for a hot counter and a bulk
--   statement costs one insert per key, not per row. A reader sums the rows of its keys;
--   `rollups_compact` (run by the scheduler) folds each key's rows into one, so the sums
--   stay a few hundred rows for a team's dashboard. Figures are exact at every moment;
--   compaction only keeps them cheap.
-- * `*_scan` views compute every rollup (and every derived column) from the source rows
--   with full scans: `rollups_refresh_all` refills from them after a bulk load with
--   triggers off, and the tests check that the incremental figures equal them.
--
-- Days are calendar days on the clock of the person concerned (the rep who logged an
-- interaction, the owner of a touch or prospect), fixed when the row is written: a user who
-- later moves time zone does not restate their history.

-- The calendar day `at` falls on in the user's time zone.
create function local_date(at timestamptz, user_id bigint) returns date
language sql stable parallel safe as $$
    select (at at time zone coalesce((select u.time_zone from users u where u.id = user_id), 'UTC'))::date
$$;

-- How far one interaction takes a prospect through the funnel:
-- 1 touched, 2 connected (a two-way conversation), 3 meeting booked, 4 meeting held.
create function funnel_contact_level(outcome interaction_outcome) returns smallint
language sql immutable parallel safe as $$
    select case outcome
        when 'meeting_held' then 4
        when 'meeting_booked' then 3
        when 'connected' then 2
        when 'replied' then 2
        else 1
    end::smallint
$$;

------------------------------------------------------------------------------------------
-- Derived columns
------------------------------------------------------------------------------------------

alter table interactions add column occurred_on date;
update interactions set occurred_on = local_date(occurred_at, logged_by);
alter table interactions alter column occurred_on set not null;

create function interactions_set_occurred_on() returns trigger language plpgsql as $$
begin
    new.occurred_on := local_date(new.occurred_at, new.logged_by);
    return new;
end
$$;
create trigger interactions_occurred_on before insert or update of occurred_at, logged_by
    on interactions for each row execute function interactions_set_occurred_on();

alter table touches add column completed_on date;
update touches set completed_on = local_date(completed_at, owner_id) where completed_at is not null;

create function touches_set_completed_on() returns trigger language plpgsql as $$
begin
    new.completed_on := case when new.completed_at is not null
                             then local_date(new.completed_at, new.owner_id) end;
    return new;
end
$$;
create trigger touches_completed_on before insert or update of completed_at, owner_id
    on touches for each row execute function touches_set_completed_on();

-- Who owned the prospect when the enrollment ended, and on which of their days: exits are
-- credited to the rep whose plan it was.
alter table enrollments add column ended_owner_id bigint references users (id);
alter table enrollments add column ended_on date;
update enrollments e set ended_owner_id = p.owner_id,
                         ended_on = local_date(coalesce(e.ended_at, e.updated_at), p.owner_id)
from prospects p
where p.id = e.prospect_id and e.status in ('completed', 'exited');

create function enrollments_set_ended() returns trigger language plpgsql as $$
begin
    if new.status in ('completed', 'exited') then
        if tg_op = 'INSERT' or old.status not in ('completed', 'exited') then
            new.ended_owner_id := (select owner_id from prospects where id = new.prospect_id);
            new.ended_on := local_date(coalesce(new.ended_at, now()), new.ended_owner_id);
        end if;
    else
        new.ended_owner_id := null;
        new.ended_on := null;
    end if;
    return new;
end
$$;
create trigger enrollments_ended before insert or update of status
    on enrollments for each row execute function enrollments_set_ended();

-- An opportunity belongs to its prospect's owner; kept here so that team queries on open
-- opportunities use an index instead of a join through every prospect.
alter table opportunities add column owner_id bigint references users (id);
update opportunities o set owner_id = p.owner_id from prospects p where p.id = o.prospect_id;
alter table opportunities alter column owner_id set not null;

create function opportunities_set_owner() returns trigger language plpgsql as $$
begin
    new.owner_id := (select owner_id from prospects where id = new.prospect_id);
    return new;
end
$$;
create trigger opportunities_owner before insert or update of prospect_id
    on opportunities for each row execute function opportunities_set_owner();

-- Per prospect: its open (pending or snoozed) touches, its first touch, and the furthest
-- funnel step its interactions (1–4) and its opportunities (5 opened, 6 won) have reached.
alter table prospects add column open_touches integer not null default 0 check (open_touches >= 0);
alter table prospects add column first_touched_at timestamptz;
alter table prospects add column first_touched_on date;
alter table prospects add column funnel_contact_level smallint not null default 0;
alter table prospects add column funnel_opportunity_level smallint not null default 0;

-- The same columns computed from the source rows.
create view prospect_flow_scan as
select p.id,
       (select count(*) from touches t
        where t.prospect_id = p.id and t.status in ('pending', 'snoozed'))::integer as open_touches,
       first_touch.occurred_at as first_touched_at,
       first_touch.occurred_on as first_touched_on,
       coalesce((select max(funnel_contact_level(i.outcome)) from interactions i
                 where i.prospect_id = p.id), 0)::smallint as funnel_contact_level,
       coalesce((select case when count(*) = 0 then 0 when bool_or(o.stage = 'won') then 6 else 5 end from opportunities o
                 where o.prospect_id = p.id), 0)::smallint as funnel_opportunity_level
from prospects p
left join lateral (select i.occurred_at, i.occurred_on from interactions i
                   where i.prospect_id = p.id
                   order by i.occurred_at, i.id limit 1) first_touch on true;

------------------------------------------------------------------------------------------
-- Rollups: signed deltas, summed by readers, folded by `rollups_compact`
------------------------------------------------------------------------------------------

-- Interactions per rep (who logged them), local day and channel, and the interest
-- decisions made in them.
create table activity_rollup (
    user_id bigint not null,
    day date not null,
    channel interaction_channel not null,
    interactions bigint not null,
    decided_current bigint not null,
    decided_future bigint not null,
    decided_none bigint not null,
    compacted boolean not null default false
);
create index activity_rollup_key_idx on activity_rollup (user_id, day, channel);
create index activity_rollup_fresh_idx on activity_rollup (user_id) where not compacted;

create view activity_rollup_scan as
select logged_by as user_id, occurred_on as day, channel,
       count(*) as interactions,
       count(*) filter (where decision = 'current') as decided_current,
       count(*) filter (where decision = 'future') as decided_future,
       count(*) filter (where decision = 'none') as decided_none
from interactions
group by 1, 2, 3;

-- Prospects per owner and interest state, and how many of them are at a dead end: open
-- (new, current or future), contactable, with no touch to do and no recorded reason.
create table prospect_rollup (
    owner_id bigint not null,
    interest interest_state not null,
    prospects bigint not null,
    dead_ends bigint not null,
    compacted boolean not null default false
);
create index prospect_rollup_key_idx on prospect_rollup (owner_id, interest);
create index prospect_rollup_fresh_idx on prospect_rollup (owner_id) where not compacted;

create function prospect_is_dead_end(p prospects) returns boolean
language sql immutable parallel safe as $$
    select p.interest in ('new', 'current', 'future') and not p.do_not_contact
           and p.no_next_step_reason is null and p.open_touches = 0
$$;

create view prospect_rollup_scan as
select p.owner_id, p.interest, count(*) as prospects,
       count(*) filter (where prospect_is_dead_end(p)) as dead_ends
from prospects p
group by 1, 2;

-- The funnel by cohort: prospects per owner and day of first touch, by the furthest step
-- reached (1 touched … 4 meeting held, 5 opportunity, 6 won).
create table funnel_rollup (
    owner_id bigint not null,
    cohort_day date not null,
    level smallint not null,
    prospects bigint not null,
    compacted boolean not null default false
);
create index funnel_rollup_key_idx on funnel_rollup (owner_id, cohort_day, level);
create index funnel_rollup_fresh_idx on funnel_rollup (owner_id) where not compacted;

create view funnel_rollup_scan as
select p.owner_id, p.first_touched_on as cohort_day,
       greatest(p.funnel_contact_level, p.funnel_opportunity_level) as level,
       count(*) as prospects
from prospects p
where p.first_touched_on is not null
group by 1, 2, 3;

-- Opportunities per owner and stage, with total and probability-weighted value (the latter
-- in cent-percent: value_cents × probability).
create table pipeline_rollup (
    owner_id bigint not null,
    stage opportunity_stage not null,
    opportunities bigint not null,
    value_cents bigint not null,
    weighted_cent_percent bigint not null,
    compacted boolean not null default false
);
create index pipeline_rollup_key_idx on pipeline_rollup (owner_id, stage);
create index pipeline_rollup_fresh_idx on pipeline_rollup (owner_id) where not compacted;

create view pipeline_rollup_scan as
select owner_id, stage, count(*) as opportunities, sum(value_cents)::bigint as value_cents,
       sum(value_cents * probability)::bigint as weighted_cent_percent
from opportunities
group by 1, 2;

-- Cadence steps worked, per touch owner, local day closed, cadence and step position: done
-- and skipped, and how many of the done touches got a reply or a meeting.
create table cadence_step_rollup (
    owner_id bigint not null,
    day date not null,
    cadence_id bigint not null,
    position integer not null,
    done bigint not null,
    skipped bigint not null,
    replied bigint not null,
    meetings bigint not null,
    compacted boolean not null default false
);
create index cadence_step_rollup_key_idx on cadence_step_rollup (owner_id, day, cadence_id, position);
create index cadence_step_rollup_fresh_idx on cadence_step_rollup (owner_id) where not compacted;

create view cadence_step_rollup_scan as
select t.owner_id, t.completed_on as day, e.cadence_id, s.position,
       count(*) filter (where t.status = 'done') as done,
       count(*) filter (where t.status = 'skipped') as skipped,
       count(*) filter (where t.status = 'done' and i.outcome = 'replied') as replied,
       count(*) filter (where t.status = 'done' and i.outcome in ('meeting_booked', 'meeting_held')) as meetings
from touches t
join enrollments e on e.id = t.enrollment_id
join cadence_steps s on s.id = t.step_id
left join interactions i on i.id = t.interaction_id
where t.kind = 'step' and t.status in ('done', 'skipped')
group by 1, 2, 3, 4;

-- How enrollments ended, per owner at the end, local day, cadence and reason: `ending` is
-- 'completed' (every step done; reason '') or 'exited' (with the recorded reason).
create table cadence_exit_rollup (
    owner_id bigint not null,
    day date not null,
    cadence_id bigint not null,
    ending enrollment_status not null,
    reason text not null,
    enrollments bigint not null,
    compacted boolean not null default false
);
create index cadence_exit_rollup_key_idx on cadence_exit_rollup (owner_id, day, cadence_id, ending, reason);
create index cadence_exit_rollup_fresh_idx on cadence_exit_rollup (owner_id) where not compacted;

create view cadence_exit_rollup_scan as
select ended_owner_id as owner_id, ended_on as day, cadence_id, status as ending,
       coalesce(exit_reason, '') as reason, count(*) as enrollments
from enrollments
where status in ('completed', 'exited')
group by 1, 2, 3, 4, 5;

------------------------------------------------------------------------------------------
-- The contributions of changed rows: each `<table>_apply(olds, news)` counts the old images
-- −1 and the new ones +1, and writes only the keys whose net change is not zero. (PL/pgSQL,
-- so that their plans are cached per session.)
------------------------------------------------------------------------------------------

create function interactions_apply(olds interactions[], news interactions[]) returns void
language plpgsql as $$
begin
    with changes as (
        select i.*, -1 as sign from unnest(olds) i
        union all
        select i.*, 1 from unnest(news) i
    )
    insert into activity_rollup (user_id, day, channel, interactions, decided_current,
                                 decided_future, decided_none)
    select logged_by, occurred_on, channel, sum(sign),
           coalesce(sum(sign) filter (where decision = 'current'), 0),
           coalesce(sum(sign) filter (where decision = 'future'), 0),
           coalesce(sum(sign) filter (where decision = 'none'), 0)
    from changes
    group by 1, 2, 3
    having sum(sign) <> 0 or sum(sign) filter (where decision = 'current') <> 0
        or sum(sign) filter (where decision = 'future') <> 0
        or sum(sign) filter (where decision = 'none') <> 0
    order by 1, 2, 3;

    if cardinality(olds) = 0 then
        -- New interactions can only move a first touch earlier or a level up.
        update prospects p
        set first_touched_at = case when p.first_touched_at is null or f.first_at < p.first_touched_at
                                    then f.first_at else p.first_touched_at end,
            first_touched_on = case when p.first_touched_at is null or f.first_at < p.first_touched_at
                                    then f.first_on else p.first_touched_on end,
            funnel_contact_level = greatest(p.funnel_contact_level, f.level)
        from (select n.prospect_id,
                     min(n.occurred_at) as first_at,
                     (array_agg(n.occurred_on order by n.occurred_at, n.id))[1] as first_on,
                     max(funnel_contact_level(n.outcome)) as level
              from unnest(news) n group by 1) f
        where p.id = f.prospect_id
          and (p.first_touched_at is null or f.first_at < p.first_touched_at
               or f.level > p.funnel_contact_level);
    else
        -- Rewritten or removed history can move a first touch later or a level down:
        -- recompute the prospects concerned from their interactions.
        update prospects p
        set first_touched_at = s.first_touched_at, first_touched_on = s.first_touched_on,
            funnel_contact_level = s.funnel_contact_level
        from prospect_flow_scan s
        where s.id = p.id
          and p.id in (select prospect_id from unnest(olds) union select prospect_id from unnest(news))
          and (p.first_touched_at, p.first_touched_on, p.funnel_contact_level)
              is distinct from (s.first_touched_at, s.first_touched_on, s.funnel_contact_level);
    end if;
end
$$;

create function prospects_apply(olds prospects[], news prospects[]) returns void
language plpgsql as $$
begin
    with changes as (
        select p.*, prospect_is_dead_end(p) as dead_end, -1 as sign from unnest(olds) p
        union all
        select p.*, prospect_is_dead_end(p), 1 from unnest(news) p
    )
    insert into prospect_rollup (owner_id, interest, prospects, dead_ends)
    select owner_id, interest, sum(sign), coalesce(sum(sign) filter (where dead_end), 0)
    from changes
    group by 1, 2
    having sum(sign) <> 0 or sum(sign) filter (where dead_end) <> 0
    order by 1, 2;

    with changes as (
        select p.*, -1 as sign from unnest(olds) p
        union all
        select p.*, 1 from unnest(news) p
    )
    insert into funnel_rollup (owner_id, cohort_day, level, prospects)
    select owner_id, first_touched_on, greatest(funnel_contact_level, funnel_opportunity_level),
           sum(sign)
    from changes
    where first_touched_on is not null
    group by 1, 2, 3
    having sum(sign) <> 0
    order by 1, 2, 3;

    -- A new owner takes the prospect's opportunities along.
    update opportunities op set owner_id = n.owner_id
    from unnest(news) n join unnest(olds) o on o.id = n.id
    where op.prospect_id = n.id and o.owner_id <> n.owner_id and op.owner_id <> n.owner_id;
end
$$;

create function opportunities_apply(olds opportunities[], news opportunities[]) returns void
language plpgsql as $$
begin
    with changes as (
        select o.*, -1 as sign from unnest(olds) o
        union all
        select o.*, 1 from unnest(news) o
    )
    insert into pipeline_rollup (owner_id, stage, opportunities, value_cents, weighted_cent_percent)
    select owner_id, stage, sum(sign), sum(sign * value_cents), sum(sign * value_cents * probability)
    from changes
    group by 1, 2
    having sum(sign) <> 0 or sum(sign * value_cents) <> 0
        or sum(sign * value_cents * probability) <> 0
    order by 1, 2;

    -- The funnel's opportunity steps of the prospects concerned.
    update prospects p set funnel_opportunity_level = s.level
    from (select c.prospect_id,
                 (select case when count(*) = 0 then 0 when bool_or(o.stage = 'won') then 6 else 5 end
                  from opportunities o where o.prospect_id = c.prospect_id)::smallint as level
          from (select prospect_id from unnest(olds) union select prospect_id from unnest(news)) c) s
    where p.id = s.prospect_id and p.funnel_opportunity_level <> s.level;
end
$$;

create function touches_apply(olds touches[], news touches[]) returns void
language plpgsql as $$
begin
    with changes as (
        select t.*, -1 as sign from unnest(olds) t
        union all
        select t.*, 1 from unnest(news) t
    )
    insert into cadence_step_rollup (owner_id, day, cadence_id, position, done, skipped, replied, meetings)
    select c.owner_id, c.completed_on, e.cadence_id, s.position,
           coalesce(sum(c.sign) filter (where c.status = 'done'), 0),
           coalesce(sum(c.sign) filter (where c.status = 'skipped'), 0),
           coalesce(sum(c.sign) filter (where c.status = 'done' and i.outcome = 'replied'), 0),
           coalesce(sum(c.sign) filter (where c.status = 'done'
                                          and i.outcome in ('meeting_booked', 'meeting_held')), 0)
    from changes c
    join enrollments e on e.id = c.enrollment_id
    join cadence_steps s on s.id = c.step_id
    left join interactions i on i.id = c.interaction_id
    where c.kind = 'step' and c.status in ('done', 'skipped')
    group by 1, 2, 3, 4
    having sum(c.sign) filter (where c.status = 'done') <> 0
        or sum(c.sign) filter (where c.status = 'skipped') <> 0
        or sum(c.sign) filter (where c.status = 'done' and i.outcome = 'replied') <> 0
        or sum(c.sign) filter (where c.status = 'done'
                                 and i.outcome in ('meeting_booked', 'meeting_held')) <> 0
    order by 1, 2, 3, 4;

    -- Open touches per prospect (a snooze ending is no change: both images are open).
    with changes as (
        select t.prospect_id, t.status, -1 as sign from unnest(olds) t
        union all
        select t.prospect_id, t.status, 1 from unnest(news) t
    )
    update prospects p set open_touches = p.open_touches + d.change
    from (select prospect_id, sum(sign) as change from changes
          where status in ('pending', 'snoozed')
          group by 1 having sum(sign) <> 0) d
    where p.id = d.prospect_id;
end
$$;

create function enrollments_apply(olds enrollments[], news enrollments[]) returns void
language plpgsql as $$
begin
    with changes as (
        select e.*, -1 as sign from unnest(olds) e
        union all
        select e.*, 1 from unnest(news) e
    )
    insert into cadence_exit_rollup (owner_id, day, cadence_id, ending, reason, enrollments)
    select ended_owner_id, ended_on, cadence_id, status, coalesce(exit_reason, ''), sum(sign)
    from changes
    where status in ('completed', 'exited')
    group by 1, 2, 3, 4, 5
    having sum(sign) <> 0
    order by 1, 2, 3, 4, 5;
end
$$;

------------------------------------------------------------------------------------------
-- One statement trigger for every source table: it hands the statement's old and new
-- images to `<table>_apply`. For an update, only the rows whose contribution can have
-- changed: those where the columns named in the trigger's argument differ (an expression
-- over `{r}`, the row).
------------------------------------------------------------------------------------------

create function rollups_on_change() returns trigger language plpgsql as $$
declare
    apply text := tg_table_name || '_apply';
begin
    if tg_op = 'INSERT' then
        execute format('select %I(''{}'', array(select n::%I from new_rows n))',
                       apply, tg_table_name);
    elsif tg_op = 'DELETE' then
        execute format('select %I(array(select o::%I from old_rows o), ''{}'')',
                       apply, tg_table_name);
    else
        execute format(
            'with changed as (select o.id from old_rows o join new_rows n on n.id = o.id
                              where (%3$s) is distinct from (%4$s))
             select %1$I(array(select o::%2$I from old_rows o join changed using (id)),
                         array(select n::%2$I from new_rows n join changed using (id)))
             where exists (select 1 from changed)',
            apply, tg_table_name,
            replace(tg_argv[0], '{r}', 'o'), replace(tg_argv[0], '{r}', 'n'));
    end if;
    return null;
end
$$;

do $$
declare
    source record;
begin
    for source in select * from (values
        ('interactions', '{r}.prospect_id, {r}.logged_by, {r}.occurred_at, {r}.occurred_on, {r}.channel, {r}.outcome, {r}.decision'),
        ('prospects', '{r}.owner_id, {r}.interest, prospect_is_dead_end({r}), {r}.first_touched_on, greatest({r}.funnel_contact_level, {r}.funnel_opportunity_level)'),
        ('opportunities', '{r}.prospect_id, {r}.owner_id, {r}.stage, {r}.value_cents, {r}.probability'),
        ('touches', '{r}.prospect_id, {r}.owner_id, {r}.status, {r}.completed_on, {r}.interaction_id, {r}.enrollment_id, {r}.step_id'),
        ('enrollments', '{r}.status, {r}.ended_owner_id, {r}.ended_on, {r}.cadence_id, {r}.exit_reason')
    ) as v (name, relevant)
    loop
        execute format('create trigger %I after insert on %I referencing new table as new_rows
                        for each statement execute function rollups_on_change()',
                       source.name || '_rollups_insert', source.name);
        execute format('create trigger %I after update on %I
                        referencing old table as old_rows new table as new_rows
                        for each statement execute function rollups_on_change(%L)',
                       source.name || '_rollups_update', source.name, source.relevant);
        execute format('create trigger %I after delete on %I referencing old table as old_rows
                        for each statement execute function rollups_on_change()',
                       source.name || '_rollups_delete', source.name);
    end loop;
end
$$;

------------------------------------------------------------------------------------------
-- Compaction and refills
------------------------------------------------------------------------------------------

-- Folds the delta rows of up to `batch` keys of `rollup` into one row per key, dropping keys
-- whose sums are all zero; returns how many keys it folded. `keys` and `sums` list the
-- table's key and summed columns. The caller serialises compactions (an advisory lock):
-- writers never wait for one, since a delta row inserted meanwhile is not in the
-- compaction's snapshot and is left for the next.
create function rollup_compact(rollup regclass, keys text[], sums text[], batch integer)
returns integer language plpgsql as $$
declare
    folded integer;
begin
    execute format(
        'with picked as (select distinct %2$s from %1$s where not compacted limit %4$s),
              gone as (delete from %1$s r using picked k where (%5$s) = (%6$s) returning r.*),
              merged as (insert into %1$s (%2$s, %3$s, compacted)
                         select %2$s, %7$s, true from gone group by %2$s having %8$s
                         returning 1)
         select count(*) from picked',
        rollup,
        array_to_string(keys, ', '),
        array_to_string(sums, ', '),
        batch,
        array_to_string(array(select 'r.' || k from unnest(keys) k), ', '),
        array_to_string(array(select 'k.' || k from unnest(keys) k), ', '),
        array_to_string(array(select 'sum(' || s || ')' from unnest(sums) s), ', '),
        array_to_string(array(select 'sum(' || s || ') <> 0' from unnest(sums) s), ' or ')
    ) into folded;
    return folded;
end
$$;

-- Recomputes every prospect's derived columns from the source rows (after a bulk load
-- with triggers off). The prospects' rollup deltas this writes are replaced by
-- `rollups_refill`, which should follow.
create function prospects_refresh_flow() returns void language sql as $$
    update prospects p
    set open_touches = s.open_touches, first_touched_at = s.first_touched_at,
        first_touched_on = s.first_touched_on, funnel_contact_level = s.funnel_contact_level,
        funnel_opportunity_level = s.funnel_opportunity_level
    from prospect_flow_scan s
    where s.id = p.id
      and (p.open_touches, p.first_touched_at, p.first_touched_on, p.funnel_contact_level,
           p.funnel_opportunity_level)
          is distinct from
          (s.open_touches, s.first_touched_at, s.first_touched_on, s.funnel_contact_level,
           s.funnel_opportunity_level);
$$;

-- Rebuilds every rollup from its scan view, one compacted row per key.
create function rollups_refill() returns void language sql as $$
    truncate activity_rollup, prospect_rollup, funnel_rollup, pipeline_rollup,
             cadence_step_rollup, cadence_exit_rollup;
    insert into activity_rollup (user_id, day, channel, interactions, decided_current,
                                 decided_future, decided_none, compacted)
    select user_id, day, channel, interactions, decided_current, decided_future, decided_none, true
    from activity_rollup_scan;
    insert into prospect_rollup (owner_id, interest, prospects, dead_ends, compacted)
    select owner_id, interest, prospects, dead_ends, true from prospect_rollup_scan;
    insert into funnel_rollup (owner_id, cohort_day, level, prospects, compacted)
    select owner_id, cohort_day, level, prospects, true from funnel_rollup_scan;
    insert into pipeline_rollup (owner_id, stage, opportunities, value_cents, weighted_cent_percent, compacted)
    select owner_id, stage, opportunities, value_cents, weighted_cent_percent, true from pipeline_rollup_scan;
    insert into cadence_step_rollup (owner_id, day, cadence_id, position, done, skipped, replied, meetings, compacted)
    select owner_id, day, cadence_id, position, done, skipped, replied, meetings, true from cadence_step_rollup_scan;
    insert into cadence_exit_rollup (owner_id, day, cadence_id, ending, reason, enrollments, compacted)
    select owner_id, day, cadence_id, ending, reason, enrollments, true from cadence_exit_rollup_scan;
$$;

select prospects_refresh_flow();
select rollups_refill();

------------------------------------------------------------------------------------------
-- Indexes for the dashboard's live figures and the lists behind its numbers
------------------------------------------------------------------------------------------

-- Dead ends, counted and listed (touches::queue::dead_ends) from the same condition.
create index prospects_dead_end_idx
    on prospects (owner_id, (coalesce(last_interaction_at, '-infinity')) desc, id desc)
    where interest in ('new', 'current', 'future') and not do_not_contact
      and no_next_step_reason is null and open_touches = 0;
-- The funnel's cohorts.
create index prospects_first_touched_idx on prospects (owner_id, first_touched_on)
    where first_touched_on is not null;
-- A team's opportunities by stage (the open ones, the stalled among them).
create index opportunities_owner_idx on opportunities (owner_id, stage, id);
-- Whether a touch was snoozed or skipped by its rep (re-engage dates honoured).
create index prospect_events_touch_idx on prospect_events (touch_id) where touch_id is not null;
-- Re-engage dates falling due, per owner.
create index touches_owner_re_engage_idx on touches (owner_id, due_at) where kind = 're_engage';
-- Cadence steps closed, per owner and day.
create index touches_owner_closed_step_idx on touches (owner_id, completed_on)
    where kind = 'step' and status in ('done', 'skipped');
-- A rep's interactions by local day.
create index interactions_logged_by_day_idx on interactions (logged_by, occurred_on);
-- Future interest coming back to current, by the rep who brought it back.
create index prospect_events_comeback_idx on prospect_events (actor_id, occurred_at)
    where kind = 'interest_changed' and from_value = 'future' and to_value = 'current';
-- When each prospect last moved to future interest.
create index prospect_events_to_future_idx on prospect_events (prospect_id, occurred_at)
    where kind = 'interest_changed' and to_value = 'future';
-- Enrollments ended, per owner at the end and day.
create index enrollments_ended_idx on enrollments (ended_owner_id, ended_on)
    where status in ('completed', 'exited');
