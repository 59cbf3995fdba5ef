#!/usr/bin/env bash
# The benchmark: seeds the large dataset into BENCH_DATABASE_URL (default: the database
# prospector_scale on 127.0.0.1) unless it is there already, then runs the harness
# (examples/bench.rs), which writes BENCHMARKS.md. Extra arguments go to the harness:
# scripts/bench.sh --duration 20 --no-scheduler
#
# Seeding alone: scripts/bench.sh --seed-only. A fresh dataset: drop the database first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

export BENCH_DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/prospector_scale?sslmode=disable}
export SQLX_OFFLINE=${SQLX_OFFLINE:-true}

seed_only=""
args=()
for arg in "$@"; do
    if [[ $arg == --seed-only ]]; then seed_only=1; else args+=("$arg"); fi
done

require_cargo
DATABASE_URL=$BENCH_DATABASE_URL ensure_postgres
command -v wrk >/dev/null 2>&1 || apt_install wrk

log "cargo build --release --locked --bin prospector --example bench"
cargo build --release --locked --bin prospector --example bench
target=${CARGO_TARGET_DIR:-target}/release

if DATABASE_URL=$BENCH_DATABASE_URL "$target/prospector" migrate >/dev/null &&
    psql "$BENCH_DATABASE_URL" -Atc "select 1 from users where email = 'admin@scale.test'" | grep -q 1; then
    log "the scale dataset is already in $BENCH_DATABASE_URL"
else
    log "seeding the scale dataset into $BENCH_DATABASE_URL (two to three minutes)"
    DATABASE_URL=$BENCH_DATABASE_URL "$target/prospector" seed --scale
fi
[[ -n $seed_only ]] && exit 0

log "running the benchmark (examples/bench.rs)"
"$target/examples/bench" "${args[@]}"
