-- The walking skeleton: people, teams, accounts, prospects, the interaction log,
-- opportunities and the timeline. Sized for a million prospects from the start:
-- every list is served by an index that matches its filter and keyset order.

create extension if not exists citext;
create extension if not exists pg_trgm;

create type user_role as enum ('rep', 'manager', 'admin');
create type interest_state as enum ('new', 'current', 'future', 'none', 'customer');
create type interest_decision as enum ('current', 'future', 'none');
create type interaction_channel as enum ('call', 'email', 'meeting', 'linkedin', 'mail', 'event', 'other');
create type interaction_outcome as enum (
    'no_answer', 'left_message', 'connected', 'replied',
    'meeting_booked', 'meeting_held', 'not_interested', 'bad_data'
);
create type opportunity_stage as enum ('qualifying', 'meeting', 'proposal', 'negotiation', 'won', 'lost');
create type qualifying_field as enum ('need', 'budget', 'authority', 'timeline', 'notes');

create table teams (
    id bigint generated always as identity primary key,
    name text not null,
    created_at timestamptz not null default now()
);
create unique index teams_name_key on teams (lower(name));

create table users (
    id bigint generated always as identity primary key,
    email citext not null unique,
    name text not null,
    password_hash text,
    role user_role not null default 'rep',
    team_id bigint references teams (id),
    time_zone text not null default 'UTC',
    work_day_start time not null default '09:00',
    work_day_end time not null default '17:30',
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index users_team_idx on users (team_id) where active;

-- Failed and successful sign-ins, for throttling by account and by client address.
create table login_attempts (
    id bigint generated always as identity primary key,
    email citext not null,
    client_ip inet not null,
    succeeded boolean not null,
    attempted_at timestamptz not null default now()
);
create index login_attempts_email_idx on login_attempts (email, attempted_at);
create index login_attempts_ip_idx on login_attempts (client_ip, attempted_at);

-- The session store's own table (tower-sessions-sqlx-store), owned by our migrations
-- so that the schema has one history.
create schema if not exists tower_sessions;
create table if not exists tower_sessions.session (
    id text primary key not null,
    data bytea not null,
    expiry_date timestamptz not null
);
create index if not exists session_expiry_idx on tower_sessions.session (expiry_date);

create table accounts (
    id bigint generated always as identity primary key,
    owner_id bigint not null references users (id),
    name text not null,
    domain citext,
    industry text not null default '',
    employee_count integer check (employee_count is null or employee_count >= 0),
    territory text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index accounts_owner_name_idx on accounts (owner_id, lower(name), id);
create index accounts_name_idx on accounts (lower(name), id);
create index accounts_name_trgm_idx on accounts using gin (name gin_trgm_ops);

create table prospects (
    id bigint generated always as identity primary key,
    owner_id bigint not null references users (id),
    account_id bigint references accounts (id),
    first_name text not null,
    last_name text not null,
    title text not null default '',
    email citext,
    phone text not null default '',
    linkedin_url text not null default '',
    source text not null default '',
    tags text[] not null default '{}',
    interest interest_state not null default 'new',
    do_not_contact boolean not null default false,
    re_engage_on date,
    last_interaction_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    sort_name text generated always as (lower(last_name || ' ' || first_name)) stored,
    search_text text generated always as (
        lower(first_name || ' ' || last_name || ' ' || coalesce(email::text, ''))
    ) stored
);
-- One organisation per installation: an email belongs to one prospect.
create unique index prospects_email_key on prospects (email) where email is not null;
create index prospects_owner_id_idx on prospects (owner_id, id);
create index prospects_owner_name_idx on prospects (owner_id, sort_name, id);
create index prospects_owner_interest_idx on prospects (owner_id, interest, id);
create index prospects_owner_touched_idx on prospects (owner_id, (coalesce(last_interaction_at, '-infinity')) desc, id desc);
create index prospects_name_idx on prospects (sort_name, id);
create index prospects_touched_idx on prospects ((coalesce(last_interaction_at, '-infinity')) desc, id desc);
create index prospects_interest_idx on prospects (interest, id);
create index prospects_account_idx on prospects (account_id);
create index prospects_tags_idx on prospects using gin (tags);
create index prospects_search_trgm_idx on prospects using gin (search_text gin_trgm_ops);

create table opportunities (
    id bigint generated always as identity primary key,
    prospect_id bigint not null references prospects (id),
    name text not null,
    stage opportunity_stage not null default 'qualifying',
    value_cents bigint not null default 0 check (value_cents >= 0),
    expected_close_on date,
    probability smallint not null default 10 check (probability between 0 and 100),
    lost_reason text,
    revisit_on date,
    closed_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index opportunities_prospect_idx on opportunities (prospect_id);
create index opportunities_stage_idx on opportunities (stage, id);

create table interactions (
    id bigint generated always as identity primary key,
    prospect_id bigint not null references prospects (id),
    logged_by bigint not null references users (id),
    channel interaction_channel not null,
    outcome interaction_outcome not null,
    -- Null when the touch gave nothing to assess (no answer, a message left).
    decision interest_decision,
    notes text not null default '',
    no_interest_reason text,
    re_engage_on date,
    opportunity_id bigint references opportunities (id),
    occurred_at timestamptz not null,
    created_at timestamptz not null default now(),
    check (decision is distinct from 'future' or re_engage_on is not null),
    check (decision is distinct from 'none' or no_interest_reason is not null)
);
create index interactions_prospect_idx on interactions (prospect_id, occurred_at desc, id desc);
create index interactions_logged_by_idx on interactions (logged_by, occurred_at);

-- Qualifying information is history: each fact keeps when it was learned and how.
create table qualifying_facts (
    id bigint generated always as identity primary key,
    prospect_id bigint not null references prospects (id),
    field qualifying_field not null,
    value text not null,
    interaction_id bigint references interactions (id),
    recorded_by bigint not null references users (id),
    learned_at timestamptz not null default now()
);
create index qualifying_facts_prospect_idx on qualifying_facts (prospect_id, field, learned_at desc, id desc);

-- Everything on a prospect's timeline that is not an interaction: interest and
-- stage changes, ownership, do-not-contact. Stage history is read from here too.
create table prospect_events (
    id bigint generated always as identity primary key,
    prospect_id bigint not null references prospects (id),
    actor_id bigint references users (id),
    kind text not null check (kind in (
        'created', 'interest_changed', 'opportunity_opened', 'stage_changed',
        'owner_changed', 'do_not_contact', 'qualifying_updated'
    )),
    from_value text,
    to_value text,
    note text,
    opportunity_id bigint references opportunities (id),
    interaction_id bigint references interactions (id),
    occurred_at timestamptz not null default now()
);
create index prospect_events_prospect_idx on prospect_events (prospect_id, occurred_at desc, id desc);
create index prospect_events_opportunity_idx on prospect_events (opportunity_id, occurred_at) where opportunity_id is not null;
