#!/usr/bin/env bash
# The JSON API against its OpenAPI document, as a client that reads the document literally
# sees it. Serves a fresh demo workspace with the given binary, checks the document with
# openapi-spec-validator, then runs schemathesis on it with every check, as a rep and as a
# manager. Exits non-zero on any failure.
#
#   scripts/conformance-api.sh [BINARY]        BINARY defaults to target/debug/prospector
#
# Installs schemathesis and openapi-spec-validator (pinned, from PyPI) into a virtualenv
# under ~/.cache/prospector when they are missing. Environment:
#   DATABASE_URL            the PostgreSQL server to use (its database name is replaced)
#   CONFORMANCE_DATABASE    the database, dropped and seeded anew (prospector_conformance_api)
#   CONFORMANCE_PORT        the loopback port to serve on (3187)
#   CONFORMANCE_EXAMPLES    examples per operation and phase (50)
#   CONFORMANCE_SEED        schemathesis' random seed (fixed, so that a run can be repeated;
#                           set another to explore further)
#   CONFORMANCE_ROLES       the demo logins to test as ("rep1@demo.test manager@demo.test")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

SCHEMATHESIS_VERSION=4.32.5
SPEC_VALIDATOR_VERSION=0.9.0

binary=${1:-target/debug/prospector}
[[ -x $binary ]] || die "no prospector binary at $binary: build it first (cargo build --locked)"
database=${CONFORMANCE_DATABASE:-prospector_conformance_api}
port=${CONFORMANCE_PORT:-3187}
examples=${CONFORMANCE_EXAMPLES:-50}
seed=${CONFORMANCE_SEED:-20261207}
roles=${CONFORMANCE_ROLES:-rep1@demo.test manager@demo.test}
DATABASE_URL=$(url_with_database "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/prospector}" "$database")
export DATABASE_URL
ensure_postgres

venv=${XDG_CACHE_HOME:-$HOME/.cache}/prospector/schemathesis-$SCHEMATHESIS_VERSION
if [[ ! -x $venv/bin/schemathesis || ! -x $venv/bin/openapi-spec-validator ]]; then
    command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
    python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
    log "installing schemathesis $SCHEMATHESIS_VERSION and openapi-spec-validator $SPEC_VALIDATOR_VERSION into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$SPEC_VALIDATOR_VERSION"
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

log "a fresh demo workspace in database $database"
psql "$(url_with_database "$DATABASE_URL" postgres)" -w -X -q -v ON_ERROR_STOP=1 \
    -c "drop database if exists \"$database\" with (force)"
export PROSPECTOR_ENV=development
export PROSPECTOR_ADDR=127.0.0.1:$port
export PROSPECTOR_BASE_URL=http://127.0.0.1:$port
export PROSPECTOR_MAIL_DIR=$work/mail
export RUST_LOG=${RUST_LOG:-warn}
PROSPECTOR_COOKIE_KEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(64)).decode())')
export PROSPECTOR_COOKIE_KEY
"$binary" seed --demo >"$work/seed.log" 2>&1 || {
    cat "$work/seed.log" >&2
    die "prospector seed --demo failed"
}

log "serving it on 127.0.0.1:$port"
"$binary" serve >"$work/serve.log" 2>&1 &
server_pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 60); do
    curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || {
        cat "$work/serve.log" >&2
        die "prospector serve stopped"
    }
    sleep 0.5
done
curl -fsS -o "$work/openapi.json" "$base/api/openapi.json" || die "no document at $base/api/openapi.json"

log "openapi-spec-validator on /api/openapi.json"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"

failed=0
hooks=$PWD/scripts/conformance/api_hooks.py
for login in $roles; do
    token=$("$binary" token create --user "$login" --name "conformance" 2>/dev/null | grep -o 'pt_[A-Za-z0-9_-]*' | tail -n 1)
    [[ -n $token ]] || die "could not create an API token for $login"
    # Touches are made by the scheduler, not by the API, so schemathesis cannot find one to
    # work by itself: give each touch operation a pending touch of its own that this login
    # may work (its own, or its team's for a manager).
    mapfile -t touches < <(psql "$DATABASE_URL" -w -X -A -t -q -v ON_ERROR_STOP=1 -v login="$login" <<'SQL'
select t.id
from touches t
join users owner on owner.id = t.owner_id
join users caller on caller.email = :'login'
where t.status = 'pending'
  and (owner.id = caller.id or (caller.role = 'manager' and owner.team_id = caller.team_id))
order by t.id
limit 3
SQL
    )
    ((${#touches[@]} == 3)) || die "the demo workspace has fewer than 3 pending touches for $login"
    cat >"$work/schemathesis.toml" <<TOML
[[operations]]
include-operation-id = "completeTouch"
parameters = { "path.id" = ${touches[0]} }

[[operations]]
include-operation-id = "skipTouch"
parameters = { "path.id" = ${touches[1]} }

[[operations]]
include-operation-id = "snoozeTouch"
parameters = { "path.id" = ${touches[2]} }
TOML
    log "schemathesis as $login: every check, $examples examples per operation, seed $seed"
    # scripts/conformance/api_hooks.py says which rules no JSON Schema can state (dates
    # after today, cursors the server gave out) and keeps valid requests within them.
    # Run from the scratch directory: schemathesis keeps a cache in its working directory.
    if ! (cd "$work" && SCHEMATHESIS_HOOKS=$hooks "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run \
        "$base/api/openapi.json" \
        --checks all \
        --max-examples "$examples" \
        --seed "$seed" \
        --header "Authorization: Bearer $token" \
        --request-timeout 20 \
        --generation-database none \
        --no-color); then
        failed=1
        log "schemathesis found failures as $login"
    fi
done

if grep -q 'panicked' "$work/serve.log"; then
    grep -B2 -A8 'panicked' "$work/serve.log" >&2
    die "the server panicked during the run"
fi
((failed == 0)) || die "schemathesis found failures (see above)"
log "the API conforms to its document"
