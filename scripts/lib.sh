# shellcheck shell=bash
# Shared by scripts/test.sh and scripts/demo.sh (sourced, never run): make sure the
# machine has what Prospector needs — a Rust toolchain, a reachable PostgreSQL and, for
# the end-to-end tests, Chromium with chromedriver — installing Debian packages when
# something is missing. Knows Debian/Ubuntu; elsewhere it says what to install.

log() { printf '==> %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "this step needs root and sudo is not installed: run as root, or run yourself: $*"
    fi
}

_apt_updated=""
apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found: install $* with your system's package manager, then run this again"
    if [[ -z $_apt_updated ]]; then
        log "apt-get update"
        as_root apt-get update -q
        _apt_updated=1
    fi
    log "installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

require_cargo() {
    if ! command -v cargo >/dev/null 2>&1 && [[ -f $HOME/.cargo/env ]]; then
        # shellcheck source=/dev/null
        . "$HOME/.cargo/env"
    fi
    command -v cargo >/dev/null 2>&1 ||
        die "cargo not found: install Rust with rustup (https://rustup.rs); Prospector needs Rust 1.89 or later"
}

# Chromium and chromedriver drive the end-to-end tests (fantoccini).
ensure_chromium() {
    local browser=${CHROME_BIN:-/usr/bin/chromium} driver=${CHROMEDRIVER:-/usr/bin/chromedriver}
    if [[ -x $browser && -x $driver ]]; then
        return
    fi
    log "Chromium or chromedriver is missing; installing Debian's chromium and chromium-driver"
    apt_install chromium chromium-driver
    [[ -x $browser && -x $driver ]] ||
        die "installed chromium and chromium-driver, but $browser or $driver is still missing (set CHROME_BIN / CHROMEDRIVER)"
}

# --- Pieces of a postgres://user[:password]@host[:port]/database[?params] URL ---------
# Enough for the URLs these scripts see; not a general parser.

_url_authority() {
    local rest=${1#*://}
    rest=${rest%%[/?]*}
    printf '%s' "${rest##*@}"
}

url_host() {
    local authority
    authority=$(_url_authority "$1")
    if [[ $authority == \[* ]]; then
        authority=${authority#[}
        printf '%s' "${authority%%]*}"
    else
        printf '%s' "${authority%%:*}"
    fi
}

url_port() {
    local authority
    authority=$(_url_authority "$1")
    if [[ $authority =~ :([0-9]+)$ ]]; then
        printf '%s' "${BASH_REMATCH[1]}"
    else
        printf '5432'
    fi
}

url_database() {
    local base=${1%%\?*}
    local rest=${base#*://}
    [[ $rest == */* ]] && printf '%s' "${rest#*/}"
    return 0
}

# The same URL naming another database on the same server, as the same user.
url_with_database() {
    local base=${1%%\?*}
    local query=${1:${#base}}
    local scheme=${base%%://*} rest=${base#*://}
    printf '%s://%s/%s%s' "$scheme" "${rest%%/*}" "$2" "$query"
}

_is_loopback() {
    case $1 in
        127.0.0.1 | localhost | ::1 | '') return 0 ;;
        *) return 1 ;;
    esac
}

# --- PostgreSQL -----------------------------------------------------------------------

_pg_fresh_install=""

# "version name status" of the local Debian cluster configured for a port, if any.
_pg_cluster_on_port() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 0
    pg_lsclusters -h 2>/dev/null | awk -v port="$1" '$3 == port { print $1, $2, $4; exit }'
}

_pg_has_any_cluster() {
    command -v pg_lsclusters >/dev/null 2>&1 && [[ -n $(pg_lsclusters -h 2>/dev/null) ]]
}

# Starts the local cluster on the port, installing Debian's postgresql package if this
# machine has no PostgreSQL server at all.
_pg_start_local() {
    local port=$1 cluster version name status
    cluster=$(_pg_cluster_on_port "$port")
    if [[ -z $cluster ]]; then
        if _pg_has_any_cluster; then
            die "no local PostgreSQL cluster listens on port $port (see pg_lsclusters); start one there or set DATABASE_URL"
        fi
        log "no PostgreSQL server on this machine; installing Debian's postgresql"
        apt_install postgresql
        _pg_fresh_install=1
        cluster=$(_pg_cluster_on_port "$port")
        [[ -n $cluster ]] ||
            die "installed postgresql, but no cluster is configured for port $port (see pg_lsclusters)"
    fi
    read -r version name status <<<"$cluster"
    if [[ $status != online ]]; then
        log "starting PostgreSQL $version/$name"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start
    fi
}

_pg_wait_ready() {
    local url=$1 timeout=$2
    local deadline=$((SECONDS + timeout))
    until pg_isready -q -t 1 -d "$url"; do
        ((SECONDS < deadline)) ||
            die "PostgreSQL at $(url_host "$url"):$(url_port "$url") is not accepting connections after ${timeout}s"
        sleep 1
    done
}

# Lets the superuser `postgres` connect over loopback TCP without a password, as a
# development machine's PostgreSQL usually does. Only ever done to a cluster that
# _pg_start_local has just installed.
_pg_trust_loopback() {
    local port=$1 version name _status hba
    read -r version name _status <<<"$(_pg_cluster_on_port "$port")"
    hba=/etc/postgresql/$version/$name/pg_hba.conf
    log "allowing password-less loopback connections for role postgres ($hba)"
    # The first matching line wins, so these go on top.
    as_root sed -i \
        -e '1i host all postgres 127.0.0.1/32 trust' \
        -e '1i host all postgres ::1/128 trust' \
        "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" reload
}

_pg_can_connect() {
    psql "$(url_with_database "$1" postgres)" -w -X -A -t -q -c 'select 1' >/dev/null 2>&1
}

# Makes sure the PostgreSQL server named by DATABASE_URL accepts connections from its
# user. On this machine (loopback) the server is started, or installed and started, as
# needed; a server elsewhere is only waited for.
ensure_postgres() {
    local url=${DATABASE_URL:?DATABASE_URL must be set}
    local host port
    host=$(url_host "$url")
    port=$(url_port "$url")

    if ! command -v pg_isready >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then
        log "PostgreSQL client tools are missing; installing postgresql-client"
        apt_install postgresql-client
    fi

    if pg_isready -q -t 2 -d "$url"; then
        log "PostgreSQL is up at $host:$port"
    else
        if _is_loopback "$host"; then
            _pg_start_local "$port"
        fi
        log "waiting for PostgreSQL at $host:$port"
        _pg_wait_ready "$url" 30
        log "PostgreSQL is up at $host:$port"
    fi

    if ! _pg_can_connect "$url" && [[ -n $_pg_fresh_install ]]; then
        _pg_trust_loopback "$port"
        _pg_wait_ready "$url" 30
    fi
    if ! _pg_can_connect "$url"; then
        local why
        why=$(psql "$(url_with_database "$url" postgres)" -w -X -A -t -q -c 'select 1' 2>&1 >/dev/null || true)
        die "PostgreSQL at $host:$port refuses the user in DATABASE_URL: ${why:-unknown reason}
  Put the user's password in DATABASE_URL, or, on a development machine, add this line at
  the top of pg_hba.conf and reload PostgreSQL:  host all postgres 127.0.0.1/32 trust"
    fi
}

# #[sqlx::test] connects to DATABASE_URL's own database (it keeps its bookkeeping there)
# and creates a throwaway database per test, so that database must exist and the user
# must be allowed to create databases.
ensure_test_database() {
    local url=${DATABASE_URL:?DATABASE_URL must be set}
    local name admin can_create
    name=$(url_database "$url")
    [[ -n $name ]] || die "DATABASE_URL names no database: $url"
    admin=$(url_with_database "$url" postgres)

    can_create=$(psql "$admin" -w -X -A -t -q -c \
        'select rolsuper or rolcreatedb from pg_roles where rolname = current_user')
    [[ $can_create == t ]] ||
        die "the user in DATABASE_URL may not create databases, which #[sqlx::test] needs (ALTER ROLE ... CREATEDB)"

    log "using database $name (one more, created and dropped, per test)"
    psql "$admin" -w -X -q -v ON_ERROR_STOP=1 -v name="$name" >/dev/null <<'SQL'
select format('create database %I', :'name')
where not exists (select from pg_database where datname = :'name')
\gexec
SQL
}
