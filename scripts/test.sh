#!/usr/bin/env bash
# The test command. Installs what the tests need when it is missing (Chromium and
# chromedriver for the end-to-end tests; PostgreSQL, started if it is down), checks that
# the declared Rust version covers the locked crates, runs `cargo test`, then (on a full
# run) the conformance steps, which install their own tools. Extra arguments go to cargo:
# scripts/test.sh -- prospects
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

# Conformance, judged by independent tools against the demo workspace served by the binary
# (axe-core, the Nu Html Checker, CSV downloads in Chromium): on a full run only, not when
# arguments pick tests.
if [[ $# -eq 0 ]]; then
    cargo build --locked --quiet
    scripts/conformance-api.sh target/debug/prospector
    scripts/conformance-pages.sh target/debug/prospector
fi
