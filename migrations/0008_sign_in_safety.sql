-- Sessions end when the password changes: each session remembers the generation it was
-- signed in under, and a password change moves the user's generation on.
alter table users add column session_generation integer not null default 0;

-- Sign-in throttling that cannot lock the real user out (OWASP's device cookies): a
-- failure from a browser that has signed in to the account before is counted against that
-- browser alone (its device nonce here); failures from anywhere else are counted together,
-- per account and per address, and hold only browsers without such a cookie.
alter table login_attempts add column device text;
create index login_attempts_device_idx on login_attempts (device, attempted_at)
    where device is not null;

-- Password reset requests wait here for the scheduler, which looks the email up and sends
-- the link: the request itself does the same work whether or not the email is an
-- account's, so its timing says nothing about which.
create table password_reset_requests (
    id bigint generated always as identity primary key,
    email citext not null,
    requested_at timestamptz not null default now()
);
