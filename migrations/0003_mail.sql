-- Email: every message goes through an outbox written in the same transaction as what
-- caused it. The idempotency key (unique) makes "send once" a database fact; senders claim
-- rows with a lease, so a sender that dies mid-send only delays a message.

create type mail_status as enum ('queued', 'sent', 'failed');

create table mail_outbox (
    id bigint generated always as identity primary key,
    idempotency_key text not null unique,
    kind text not null,
    user_id bigint references users (id),
    to_address text not null,
    to_name text not null default '',
    subject text not null,
    body_text text not null,
    body_html text not null,
    status mail_status not null default 'queued',
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    -- A claimed message is leased until this time; after it, another sender may take it.
    leased_until timestamptz,
    last_error text,
    server_response text,
    sent_at timestamptz,
    created_at timestamptz not null default now()
);
create index mail_outbox_due_idx on mail_outbox (next_attempt_at) where status = 'queued';
create index mail_outbox_status_idx on mail_outbox (status, created_at desc);

-- Reminder preferences, per user.
alter table users add column agenda_enabled boolean not null default true;
alter table users add column agenda_time time not null default '07:30';
alter table users add column agenda_when_empty boolean not null default false;
alter table users add column nudge_enabled boolean not null default true;
alter table users add column nudge_after_business_days smallint not null default 2
    check (nudge_after_business_days between 1 and 20);
alter table users add column weekly_summary_enabled boolean not null default true;

-- One-time tokens for invitations and password resets, stored hashed.
create table auth_tokens (
    id bigint generated always as identity primary key,
    user_id bigint not null references users (id),
    purpose text not null check (purpose in ('invitation', 'password_reset')),
    token_hash bytea not null unique,
    expires_at timestamptz not null,
    used_at timestamptz,
    created_at timestamptz not null default now()
);
create index auth_tokens_user_idx on auth_tokens (user_id, purpose);
