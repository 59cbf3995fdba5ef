-- Data in and out: personal API tokens, calendar feeds, and CSV imports that run as
-- background jobs. Secrets (tokens, feed URLs) are random and stored only as SHA-256
-- hashes; an import keeps its progress in its row, committed with each batch it imports.

create table api_tokens (
    id bigint generated always as identity primary key,
    user_id bigint not null references users (id),
    name text not null check (length(name) between 1 and 100),
    token_hash bytea not null unique,
    -- The token's first characters, so that a person can tell their tokens apart.
    token_prefix text not null,
    created_at timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
create index api_tokens_user_idx on api_tokens (user_id, id desc);

-- A rep's secret calendar URL. Replacing it revokes the old one: at most one is live.
create table calendar_feeds (
    id bigint generated always as identity primary key,
    user_id bigint not null references users (id),
    token_hash bytea not null unique,
    created_at timestamptz not null default now(),
    last_fetched_at timestamptz,
    revoked_at timestamptz
);
create unique index calendar_feeds_live_key on calendar_feeds (user_id) where revoked_at is null;

create type import_status as enum ('mapping', 'queued', 'running', 'done', 'failed', 'cancelled');
create type duplicate_policy as enum ('skip', 'update');

create table imports (
    id bigint generated always as identity primary key,
    created_by bigint not null references users (id),
    file_name text not null,
    -- The uploaded file as UTF-8, without its byte-order mark. Emptied once imported.
    content bytea not null,
    delimiter text not null check (delimiter in (',', ';', E'\t')),
    headers text[] not null,
    total_rows integer not null check (total_rows >= 0),
    -- One entry per column: the field it fills, or null to ignore it.
    mapping jsonb not null default '[]',
    duplicates duplicate_policy not null default 'skip',
    owner_id bigint not null references users (id),
    cadence_id bigint references cadences (id),
    status import_status not null default 'mapping',
    -- Where the next batch starts in `content`: byte offset, line and record number.
    next_byte bigint not null default 0,
    next_line bigint not null default 1,
    next_record bigint not null default 0,
    rows_done integer not null default 0,
    created_count integer not null default 0,
    updated_count integer not null default 0,
    skipped_count integer not null default 0,
    failed_count integer not null default 0,
    enrolled_count integer not null default 0,
    -- Consecutive batches that failed for a reason other than the data (the database).
    attempts integer not null default 0,
    error text,
    queued_at timestamptz,
    started_at timestamptz,
    finished_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index imports_queue_idx on imports (id) where status in ('queued', 'running');
create index imports_creator_idx on imports (created_by, id desc);

-- The rows an import did not import as asked, with why, and the row as it was in the file.
create table import_problems (
    import_id bigint not null references imports (id) on delete cascade,
    line bigint not null,
    kind text not null check (kind in ('invalid', 'duplicate_in_file', 'duplicate_existing', 'not_updated')),
    message text not null,
    record text not null,
    primary key (import_id, line)
);

