#!/usr/bin/env bash
# The test command. Installs what the tests need when it is missing (Chromium and
# chromedriver for the end-to-end tests; PostgreSQL, started if it is down), then runs
# `cargo test`. Extra arguments go to cargo: scripts/test.sh -- prospects
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# #[sqlx::test] makes a fresh database per test on this server.
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/prospector_test}
# Build from the committed .sqlx/ query data, not a live database.
export SQLX_OFFLINE=${SQLX_OFFLINE:-true}
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
export CHROME_BIN=${CHROME_BIN:-/usr/bin/chromium}

require_cargo
ensure_chromium
ensure_postgres
ensure_test_database

scripts/check-msrv.sh
log "cargo test --locked $*"
cargo test --locked "$@"
