-- Cadences, enrollments and touches: prospecting as a process. Every open prospect has a
-- pending touch or a recorded reason why not; the scheduler and the requests that complete
-- touches keep it that way, and unique keys make every scheduled touch idempotent.

create type cadence_purpose as enum ('pursue', 'nurture');
create type enrollment_status as enum ('active', 'paused', 'completed', 'exited');
create type touch_status as enum ('pending', 'done', 'skipped', 'snoozed');
create type touch_kind as enum ('step', 're_engage');

create table cadences (
    id bigint generated always as identity primary key,
    name text not null,
    purpose cadence_purpose not null,
    description text not null default '',
    created_by bigint not null references users (id),
    -- The cadence automatic enrollment uses for its purpose.
    is_default boolean not null default false,
    archived boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create unique index cadences_name_key on cadences (lower(name)) where not archived;
create unique index cadences_default_key on cadences (purpose) where is_default and not archived;

-- Editing a cadence writes a new version; enrollments keep the version they started on,
-- so an edit never changes the plan of a prospect already enrolled.
create table cadence_versions (
    id bigint generated always as identity primary key,
    cadence_id bigint not null references cadences (id),
    version integer not null,
    created_by bigint not null references users (id),
    created_at timestamptz not null default now(),
    unique (cadence_id, version)
);

create table cadence_steps (
    id bigint generated always as identity primary key,
    version_id bigint not null references cadence_versions (id),
    position integer not null check (position >= 1),
    channel interaction_channel not null,
    delay_business_days smallint not null check (delay_business_days between 0 and 260),
    window_start time,
    window_end time,
    instructions text not null default '',
    template text not null default '',
    unique (version_id, position),
    check ((window_start is null) = (window_end is null)),
    check (window_start is null or window_start < window_end)
);

create table enrollments (
    id bigint generated always as identity primary key,
    prospect_id bigint not null references prospects (id),
    cadence_id bigint not null references cadences (id),
    version_id bigint not null references cadence_versions (id),
    status enrollment_status not null default 'active',
    -- The step whose touch is pending, or is to be scheduled next.
    current_position integer not null default 1 check (current_position >= 1),
    enrolled_by bigint references users (id),
    exit_reason text,
    started_at timestamptz not null default now(),
    ended_at timestamptz,
    updated_at timestamptz not null default now()
);
-- One live enrollment per prospect: moving to another cadence exits the first.
create unique index enrollments_live_key on enrollments (prospect_id) where status in ('active', 'paused');
create index enrollments_prospect_idx on enrollments (prospect_id, started_at desc);
create index enrollments_cadence_idx on enrollments (cadence_id, status);
create index enrollments_active_idx on enrollments (id) where status = 'active';

create table touches (
    id bigint generated always as identity primary key,
    prospect_id bigint not null references prospects (id),
    owner_id bigint not null references users (id),
    kind touch_kind not null,
    enrollment_id bigint references enrollments (id),
    step_id bigint references cadence_steps (id),
    channel interaction_channel not null,
    due_at timestamptz not null,
    status touch_status not null default 'pending',
    snoozed_until timestamptz,
    skip_reason text,
    interaction_id bigint references interactions (id),
    completed_at timestamptz,
    created_at timestamptz not null default now(),
    check ((kind = 'step') = (enrollment_id is not null and step_id is not null)),
    check (status <> 'snoozed' or snoozed_until is not null)
);
-- Idempotency: a step of an enrollment is scheduled once, however many schedulers race;
-- a prospect has one re-engage touch per date.
create unique index touches_step_key on touches (enrollment_id, step_id) where kind = 'step';
create unique index touches_re_engage_key on touches (prospect_id, due_at) where kind = 're_engage';
create index touches_owner_open_idx on touches (owner_id, due_at) where status in ('pending', 'snoozed');
create index touches_prospect_open_idx on touches (prospect_id) where status in ('pending', 'snoozed');
create index touches_snoozed_idx on touches (snoozed_until) where status = 'snoozed';

-- The explicit, recorded reason a prospect has no next step (instead of a dead end), and
-- the flag that bad data sets.
alter table prospects add column no_next_step_reason text;
alter table prospects add column data_flagged boolean not null default false;

alter table prospect_events drop constraint prospect_events_kind_check;
alter table prospect_events add constraint prospect_events_kind_check check (kind in (
    'created', 'interest_changed', 'opportunity_opened', 'stage_changed',
    'owner_changed', 'do_not_contact', 'qualifying_updated',
    'enrolled', 'enrollment_paused', 'enrollment_resumed', 'enrollment_exited',
    'enrollment_completed', 'touch_skipped', 'touch_snoozed', 'no_next_step', 'data_flagged'
));
alter table prospect_events add column touch_id bigint references touches (id);
alter table prospect_events add column enrollment_id bigint references enrollments (id);
