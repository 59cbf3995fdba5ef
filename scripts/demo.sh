#!/usr/bin/env bash
# The run command: starts PostgreSQL if needed (installing it if the machine has none),
# builds Prospector, fills the demo workspace and serves it on PROSPECTOR_ADDR
# (default 127.0.0.1:3000). Sign in as rep1@demo.test / prospector-demo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/prospector}
export SQLX_OFFLINE=${SQLX_OFFLINE:-true}

require_cargo
ensure_postgres

log "cargo build --release --locked"
cargo build --release --locked
prospector=${CARGO_TARGET_DIR:-target}/release/prospector

log "seeding the demo workspace"
"$prospector" seed --demo

addr=${PROSPECTOR_ADDR:-127.0.0.1:3000}
log "serving on ${PROSPECTOR_BASE_URL:-http://$addr} — sign in as rep1@demo.test / prospector-demo (Ctrl-C stops)"
exec "$prospector" serve
