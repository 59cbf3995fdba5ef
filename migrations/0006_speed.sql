-- What the benchmarks at scale asked for (BENCHMARKS.md).

-- The events about a touch: without it, deleting a touch (its foreign key) reads every event.
create index prospect_events_touch_idx on prospect_events (touch_id) where touch_id is not null;

-- Scheduling a touch changes its prospect's count of open touches. A column that an index
-- names, even in its predicate, makes every update of it write a new entry into each of the
-- prospects' indexes (two of them GIN). Without `open_touches` in the dead ends' predicate,
-- and with room left on each page, that update is a heap-only one: one new row version, no
-- index writes. The dead-ends list and count read past an owner's prospects that have open
-- touches: a rep's few thousand at most, from one index range.
drop index prospects_dead_end_idx;
create index prospects_dead_end_idx
    on prospects (owner_id, (coalesce(last_interaction_at, '-infinity')) desc, id desc)
    where interest in ('new', 'current', 'future') and not do_not_contact
      and no_next_step_reason is null;
alter table prospects set (fillfactor = 85);

-- A refill aggregates the whole history at once (after a bulk load, or `prospector rollups
-- rebuild`): with room to hash in memory, instead of batches spilled to disk, the cadence
-- steps' refill over ten million interactions takes seconds, not minutes.
alter function rollups_refill() set work_mem = '256MB';

-- A touch to do, with what Today and work mode show of it: one select list for both. The
-- user's name and the cadence's are subqueries, not joins, so that the planner weighs three
-- joins instead of six: planning the queue took longer than running it.
create view queued_touches as
select t.id, t.prospect_id, t.owner_id, p.owner_id as prospect_owner_id, t.status, t.kind,
       t.channel, t.due_at, p.first_name, p.last_name, p.title, p.email::text as email,
       p.interest, a.name as account_name,
       (select u.name from users u where u.id = t.owner_id) as owner_name,
       s.position, s.instructions, s.template,
       (select count(*) from cadence_steps s2 where s2.version_id = s.version_id) as step_count,
       (select c.name from enrollments e join cadences c on c.id = e.cadence_id
        where e.id = t.enrollment_id) as cadence_name
from touches t
join prospects p on p.id = t.prospect_id
left join accounts a on a.id = p.account_id
left join cadence_steps s on s.id = t.step_id;
