#!/usr/bin/env bash
# -----------------------------------------------------------------------------
# Deploy/dev-db.sh — local PostgreSQL (15) cluster for ShopRecon development
# and tests.  DEV/TEST ONLY: fsync and friends are switched off for speed, and
# all passwords are well known.  Never point this at data you care about.
#
# Usage: Deploy/dev-db.sh <command>      (works from any working directory)
#
#   start            Install missing PostgreSQL packages (root only, via apt),
#                    initdb on first use, start the server, and (idempotently)
#                    create the roles and the database.  No-op if running.
#   stop             Stop the server (pg_ctl -m fast).  No-op if stopped.
#   status           Print state, data dir, port and URL.
#                    Exit 0 if running, 3 if stopped.
#   url [--admin|--app]
#                    Print a connection URL:
#                      (default) postgresql://shoprecon_owner:shoprecon_owner@127.0.0.1:PORT/shoprecon
#                      --admin   postgresql://postgres:postgres@127.0.0.1:PORT/postgres
#                      --app     postgresql://shoprecon_app:shoprecon_app@127.0.0.1:PORT/shoprecon
#   psql [args...]   Run psql against the default URL; args are passed through.
#   reset            stop + delete the cluster's data (next start re-creates it).
#
# Layout: the cluster lives in $REPO/.devdb/ (git-ignored):
#   .devdb/data  data directory     .devdb/run  unix socket directory
#   .devdb/postgres.log  server log
# When running as root and the OS user `postgres` cannot use the checkout
# (e.g. it lives under /root, mode 700) or the socket path would be too long,
# the same layout is created in /var/tmp/shoprecon-devdb-<sha of repo path>/
# instead, and that path is recorded in .devdb/location.
#
# As root, server-side tools run as the `postgres` OS user (runuser); as any
# other user they run as that user, who then owns the cluster.
#
# Environment:
#   SHOPRECON_DEV_PORT   TCP port (default 54329); server listens on
#                        127.0.0.1 only.
# Roles: postgres/postgres (superuser), shoprecon_owner/shoprecon_owner
# (schema owner, runs migrations), shoprecon_app/shoprecon_app (application).
# -----------------------------------------------------------------------------
set -euo pipefail

PROG="dev-db.sh"
DEFAULT_PORT=54329
PG_WANTED_MAJOR=15

die()  { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
info() { printf '%s: %s\n' "$PROG" "$*" >&2; }

# --- locate the checkout -----------------------------------------------------
SCRIPT_PATH="$(readlink -f -- "${BASH_SOURCE[0]}" 2>/dev/null || printf '%s' "${BASH_SOURCE[0]}")"
REPO="$(cd -P -- "$(dirname -- "$SCRIPT_PATH")/.." && pwd -P)"
DEVDB="$REPO/.devdb"
LOCATION_FILE="$DEVDB/location"

# --- port ---------------------------------------------------------------------
PORT="${SHOPRECON_DEV_PORT:-$DEFAULT_PORT}"
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || (( 10#$PORT < 1 || 10#$PORT > 65535 )); then
    die "SHOPRECON_DEV_PORT must be a TCP port number (got '$PORT')"
fi
PORT=$((10#$PORT))

# Ambient libpq settings (PGHOST, PGUSER, PGPASSWORD, PGSSLMODE, PGDATA, ...)
# must not redirect our own connections/commands elsewhere.
while IFS= read -r _v; do unset "$_v"; done < <(compgen -e | grep '^PG' || true)

IS_ROOT=0
[[ "$(id -u)" -eq 0 ]] && IS_ROOT=1

url_owner() { printf 'postgresql://shoprecon_owner:shoprecon_owner@127.0.0.1:%s/shoprecon\n' "$PORT"; }
url_admin() { printf 'postgresql://postgres:postgres@127.0.0.1:%s/postgres\n' "$PORT"; }
url_app()   { printf 'postgresql://shoprecon_app:shoprecon_app@127.0.0.1:%s/shoprecon\n' "$PORT"; }

# Run a server-side tool as the cluster owner.  As root that is the `postgres`
# OS user; cd / first because it usually cannot access our cwd (e.g. /root/..).
# fd 9 (our flock) is closed so a started postmaster does not inherit the lock.
as_pg() {
    if (( IS_ROOT )); then
        ( cd / && runuser -u postgres -- "$@" ) 9>&-
    else
        "$@" 9>&-
    fi
}

# --- PostgreSQL binaries -----------------------------------------------------
PG_BIN=""
PG_MAJOR=""

bin_major() {  # $1 = bin dir -> prints major version of its pg_ctl
    local v
    v="$("$1/pg_ctl" --version 2>/dev/null)" || return 1
    v="${v##*) }"; v="${v%% *}"; v="${v%%.*}"
    [[ "$v" =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "$v"
}

usable_bin() { [[ -x "$1/initdb" && -x "$1/pg_ctl" && -x "$1/postgres" ]]; }

# Prefer PostgreSQL 15: /usr/lib/postgresql/15/bin, then PATH, then the newest
# /usr/lib/postgresql/*/bin (with a warning if it is not 15).
find_pg_bin() {
    local d m best="" best_m=0
    d="/usr/lib/postgresql/$PG_WANTED_MAJOR/bin"
    if usable_bin "$d"; then PG_BIN="$d"; PG_MAJOR="$(bin_major "$d" || echo "$PG_WANTED_MAJOR")"; return 0; fi
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        d="$(dirname -- "$(readlink -f -- "$(command -v pg_ctl)")")"
        if usable_bin "$d" && m="$(bin_major "$d")" && [[ "$m" == "$PG_WANTED_MAJOR" ]]; then
            PG_BIN="$d"; PG_MAJOR="$m"; return 0
        fi
    fi
    for d in /usr/lib/postgresql/*/bin; do
        usable_bin "$d" || continue
        m="$(bin_major "$d")" || continue
        if (( m > best_m )); then best="$d"; best_m="$m"; fi
    done
    if [[ -n "$best" ]]; then
        PG_BIN="$best"; PG_MAJOR="$best_m"
        warn "PostgreSQL $PG_WANTED_MAJOR not found; using PostgreSQL $PG_MAJOR from $PG_BIN"
        return 0
    fi
    return 1
}

require_pg_bin() {
    find_pg_bin || die "PostgreSQL server binaries (initdb/pg_ctl) not found; run '$0 start' as root to install them, or: apt-get install -y postgresql postgresql-contrib libpq-dev"
}

psql_bin() {
    if [[ -n "$PG_BIN" && -x "$PG_BIN/psql" ]]; then printf '%s\n' "$PG_BIN/psql"; return 0; fi
    if find_pg_bin && [[ -x "$PG_BIN/psql" ]]; then printf '%s\n' "$PG_BIN/psql"; return 0; fi
    command -v psql 2>/dev/null || die "psql not found; install postgresql-client (apt-get install -y postgresql-client)"
}

server_sharedir() {
    local s=""
    [[ -x "$PG_BIN/pg_config" ]] && s="$("$PG_BIN/pg_config" --sharedir 2>/dev/null || true)"
    [[ -n "$s" && -d "$s" ]] || s="/usr/share/postgresql/$PG_MAJOR"
    printf '%s\n' "$s"
}

# Returns (via stdout) a list of what is missing; empty if all good.
missing_pieces() {
    local missing=() sd
    if ! find_pg_bin; then
        missing+=("PostgreSQL server (initdb/pg_ctl)")
    else
        sd="$(server_sharedir)"
        [[ -f "$sd/extension/pgcrypto.control" ]] || missing+=("pgcrypto extension ($sd/extension/pgcrypto.control)")
    fi
    command -v pg_config >/dev/null 2>&1 || missing+=("pg_config")
    [[ -f /usr/include/postgresql/libpq-fe.h ]] || missing+=("libpq headers (/usr/include/postgresql/libpq-fe.h)")
    if (( IS_ROOT )) && ! getent passwd postgres >/dev/null 2>&1; then
        missing+=("OS user 'postgres'")
    fi
    (( ${#missing[@]} == 0 )) || printf '%s\n' "${missing[@]}"
}

ensure_installed() {
    local missing apt_cmd="apt-get update && apt-get install -y postgresql postgresql-contrib libpq-dev"
    missing="$(missing_pieces)"
    if [[ -z "$missing" ]]; then find_pg_bin; return 0; fi
    if (( ! IS_ROOT )); then
        printf '%s: error: missing PostgreSQL pieces:\n%s\n' "$PROG" "$(sed 's/^/  - /' <<<"$missing")" >&2
        printf 'Install them as root (e.g. with sudo), then re-run:\n  %s\n' "$apt_cmd" >&2
        exit 1
    fi
    command -v apt-get >/dev/null 2>&1 || die "missing: $(tr '\n' ';' <<<"$missing") — and apt-get is not available; install PostgreSQL $PG_WANTED_MAJOR + contrib + libpq headers manually"
    info "installing missing PostgreSQL pieces: $(tr '\n' ';' <<<"$missing")"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y postgresql postgresql-contrib libpq-dev
    missing="$(missing_pieces)"
    [[ -z "$missing" ]] || die "still missing after apt-get install: $(tr '\n' ';' <<<"$missing")"
    find_pg_bin
}

# --- cluster location ----------------------------------------------------------
BASE=""      # folder holding data/, run/, postgres.log
DATA=""; RUN=""; LOG=""

fallback_base() {
    local sha
    sha="$(printf '%s' "$REPO" | sha1sum | cut -c1-12)"
    printf '/var/tmp/shoprecon-devdb-%s\n' "$sha"
}

set_paths() { BASE="$1"; DATA="$BASE/data"; RUN="$BASE/run"; LOG="$BASE/postgres.log"; }

# Unix socket paths are limited to 107 bytes.
socket_path_ok() { local p="$1/run/.s.PGSQL.$PORT.lock"; (( ${#p} <= 100 )); }

# Read-only resolution (status/stop/reset/psql): never creates anything.
resolve_location() {
    local loc fb
    if [[ -f "$LOCATION_FILE" ]]; then
        loc="$(head -n1 "$LOCATION_FILE")"
        [[ "$loc" == /* ]] || die "$LOCATION_FILE does not contain an absolute path"
        set_paths "$loc"; return 0
    fi
    fb="$(fallback_base)"
    if [[ ! -d "$DEVDB/data" && -d "$fb/data" ]]; then set_paths "$fb"; return 0; fi
    set_paths "$DEVDB"
}

# Creating resolution (start): decide in-checkout vs /var/tmp fallback.
prepare_location() {
    local fb owner
    mkdir -p "$DEVDB"
    if [[ -f "$LOCATION_FILE" ]]; then
        resolve_location
    else
        local ok=1
        if (( IS_ROOT )); then
            chown postgres:postgres "$DEVDB" 2>/dev/null || true
            runuser -u postgres -- test -w "$DEVDB" -a -x "$DEVDB" 2>/dev/null || ok=0
        else
            [[ -w "$DEVDB" ]] || ok=0
        fi
        socket_path_ok "$DEVDB" || ok=0
        if (( ok )); then
            set_paths "$DEVDB"
        else
            fb="$(fallback_base)"
            info "the cluster cannot live in $DEVDB (not usable by the server user, or socket path too long); using $fb"
            printf '%s\n' "$fb" > "$LOCATION_FILE"
            set_paths "$fb"
        fi
    fi
    # Create BASE (the fallback dir, or re-create it if /var/tmp was cleaned).
    if [[ "$BASE" != "$DEVDB" ]]; then
        [[ -L "$BASE" ]] && die "$BASE is a symlink; refusing to use it"
        if (( IS_ROOT )); then
            [[ -d "$BASE" ]] || install -d -m 700 -o postgres -g postgres "$BASE"
            owner="postgres"
        else
            [[ -d "$BASE" ]] || install -d -m 700 "$BASE"
            owner="$(id -un)"
        fi
        [[ "$(stat -c %U "$BASE")" == "$owner" ]] || die "$BASE exists but is not owned by '$owner'; remove it"
    fi
    as_pg mkdir -p "$RUN"
    as_pg chmod 700 "$RUN"
}

# --- helpers -------------------------------------------------------------------
initialized() { [[ -f "$DATA/PG_VERSION" ]]; }

is_running() {
    initialized || return 1
    as_pg "$PG_BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

running_port() {  # port from postmaster.pid (line 4), if running
    [[ -r "$DATA/postmaster.pid" ]] && sed -n 4p "$DATA/postmaster.pid" || true
}

check_version_match() {
    local v
    v="$(cat "$DATA/PG_VERSION")"
    [[ "$v" == "$PG_MAJOR" ]] || die "cluster in $DATA was created by PostgreSQL $v but binaries are $PG_MAJOR ($PG_BIN); run '$0 reset' to re-create it"
}

warn_port_mismatch() {
    local rp
    rp="$(running_port)"
    if [[ -n "$rp" && "$rp" != "$PORT" ]]; then
        warn "server is running on port $rp, but SHOPRECON_DEV_PORT/default is $PORT; run '$0 stop' then '$0 start' to switch"
    fi
}

sql_quote() { local s="${1//\'/\'\'}"; printf "'%s'" "$s"; }

do_initdb() {
    info "initialising new cluster in $DATA (PostgreSQL $PG_MAJOR)"
    rm -rf -- "$DATA"
    local out
    if ! out="$(as_pg "$PG_BIN/initdb" -D "$DATA" --auth-local=trust --auth-host=scram-sha-256 \
                 -U postgres --encoding=UTF8 --locale=C.UTF-8 2>&1)"; then
        warn "initdb with locale C.UTF-8 failed; retrying with --locale=C"
        rm -rf -- "$DATA"
        if ! out="$(as_pg "$PG_BIN/initdb" -D "$DATA" --auth-local=trust --auth-host=scram-sha-256 \
                     -U postgres --encoding=UTF8 --locale=C 2>&1)"; then
            printf '%s\n' "$out" >&2
            die "initdb failed"
        fi
    fi

    cat > "$DATA/pg_hba.conf" <<'EOF'
# ShopRecon dev cluster (written by Deploy/dev-db.sh)
# TYPE  DATABASE  USER  ADDRESS         METHOD
local   all       all                   trust
host    all       all   127.0.0.1/32    scram-sha-256
host    all       all   ::1/128         scram-sha-256
EOF

    cat >> "$DATA/postgresql.conf" <<EOF

# ---------------------------------------------------------------------------
# ShopRecon DEV/TEST cluster settings (appended by Deploy/dev-db.sh).
# fsync/synchronous_commit/full_page_writes are OFF for speed: a crash can
# corrupt this cluster.  Never use these settings for real data.
# ---------------------------------------------------------------------------
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = $(sql_quote "$RUN")
max_connections = 200
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
timezone = 'UTC'
EOF
}

port_diagnosis() {
    command -v ss >/dev/null 2>&1 || return 0
    local l
    l="$(ss -ltnp 2>/dev/null | awk -v p=":$PORT" 'NR>1 && substr($4, length($4)-length(p)+1) == p' || true)"
    if [[ -n "$l" ]]; then
        printf '%s: port %s is already in use by another process:\n%s\n' "$PROG" "$PORT" "$l" >&2
        printf 'Pick another port, e.g.: SHOPRECON_DEV_PORT=%s %s start\n' "$((PORT + 1))" "$0" >&2
    fi
}

bootstrap() {
    as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PORT" -U postgres -d postgres <<'SQL'
SET client_min_messages = warning;
ALTER ROLE postgres WITH PASSWORD 'postgres';
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'shoprecon_owner') THEN
        CREATE ROLE shoprecon_owner LOGIN PASSWORD 'shoprecon_owner' CREATEDB CREATEROLE;
    ELSE
        ALTER ROLE shoprecon_owner LOGIN PASSWORD 'shoprecon_owner' CREATEDB CREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'shoprecon_app') THEN
        CREATE ROLE shoprecon_app LOGIN PASSWORD 'shoprecon_app' NOSUPERUSER NOBYPASSRLS;
    ELSE
        ALTER ROLE shoprecon_app LOGIN PASSWORD 'shoprecon_app' NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;
SELECT 'CREATE DATABASE shoprecon OWNER shoprecon_owner'
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'shoprecon')
\gexec
SQL
}

lock() {
    command -v flock >/dev/null 2>&1 || return 0
    [[ -d "$DEVDB" ]] || mkdir -p "$DEVDB"
    exec 9>"$DEVDB/.lock"
    flock -w 120 9 || die "timed out waiting for another $PROG to finish (lock $DEVDB/.lock)"
}

# --- commands -------------------------------------------------------------------
cmd_start() {
    lock
    ensure_installed
    prepare_location

    if initialized; then
        check_version_match
        if is_running; then
            echo "already running (data: $DATA, port: $(running_port))"
            warn_port_mismatch
            return 0
        fi
    else
        do_initdb
    fi

    [[ -e "$LOG" ]] || as_pg touch "$LOG"
    info "starting PostgreSQL $PG_MAJOR on 127.0.0.1:$PORT (data: $DATA, log: $LOG)"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$DATA" -o "-p $PORT" -w -t 60 -l "$LOG" start >/dev/null; then
        printf '%s: error: PostgreSQL failed to start; last 30 lines of %s:\n' "$PROG" "$LOG" >&2
        tail -n 30 "$LOG" >&2 || true
        port_diagnosis
        exit 1
    fi

    bootstrap || die "bootstrap of roles/database failed (see above)"
    "$(psql_bin)" -X -q -At -d "$(url_owner)" -c 'select 1' >/dev/null \
        || die "server started but TCP login as shoprecon_owner failed"
    echo "running: $(url_owner)"
}

cmd_stop() {
    lock
    resolve_location
    if ! initialized; then echo "not initialized ($DATA); nothing to stop"; return 0; fi
    require_pg_bin
    if ! is_running; then echo "already stopped"; return 0; fi
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
    echo "stopped"
}

cmd_status() {
    resolve_location
    local state="stopped" rc=3 port="$PORT"
    if initialized; then
        require_pg_bin
        if is_running; then
            state="running"; rc=0
            port="$(running_port)"; port="${port:-$PORT}"
        fi
    else
        state="stopped (not initialized)"
    fi
    echo "state:    $state"
    echo "data dir: $DATA"
    echo "log:      $LOG"
    echo "port:     $port"
    echo "url:      $(url_owner)"
    (( rc == 0 )) && warn_port_mismatch
    return "$rc"
}

cmd_url() {
    case "${1:-}" in
        "")      url_owner ;;
        --admin) url_admin ;;
        --app)   url_app ;;
        *) die "url: unknown option '$1' (expected --admin or --app)" ;;
    esac
}

cmd_psql() {
    resolve_location
    if ! initialized || ! find_pg_bin || ! is_running; then
        die "the dev database is not running; start it with: $0 start"
    fi
    local psql
    psql="$(psql_bin)"
    exec "$psql" --dbname="$(url_owner)" "$@"
}

cmd_reset() {
    lock
    resolve_location
    if initialized && find_pg_bin && is_running; then
        as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
        echo "stopped"
    fi
    [[ -n "$BASE" && "$DATA" == "$BASE/data" ]] || die "internal error: bad data path '$DATA'"
    rm -rf -- "$DATA" "$RUN" "$LOG"
    # Fallback folder: remove it entirely (start re-creates it); .devdb/location
    # is kept so status/url keep pointing at the same place.
    [[ "$BASE" != "$DEVDB" && "$BASE" == /var/tmp/shoprecon-devdb-* ]] && rm -rf -- "$BASE"
    echo "reset: deleted $DATA"
}

usage() {
    sed -n '3,/^# -----/p' "$SCRIPT_PATH" | sed '$d; s/^# \{0,1\}//'
}

main() {
    local cmd="${1:-}"
    [[ $# -gt 0 ]] && shift
    case "$cmd" in
        start)  cmd_start ;;
        stop)   cmd_stop ;;
        status) cmd_status ;;
        url)    cmd_url "$@" ;;
        psql)   cmd_psql "$@" ;;
        reset)  cmd_reset ;;
        -h|--help|help) usage ;;
        "") usage >&2; exit 2 ;;
        *)  printf '%s: unknown command %s\n\n' "$PROG" "$cmd" >&2; usage >&2; exit 2 ;;
    esac
}

main "$@"
