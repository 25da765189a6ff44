#!/usr/bin/env bash
# The main job on the local database, as a user would run it (`make demo`):
#   1. migrate the local database;
#   2. generate a month for a demo merchant in the real file layouts (`shoprecon gen`), with a few
#      exceptions of every kind planted;
#   3. create the merchant, its stores and staff (once), save the column mappings and the rate card,
#      add a rule (orders over 1,000 CNY need a finance manager's approval);
#   4. import every file with `shoprecon import` as the finance user;
#   5. start a `shoprecond` daemon, run the reconciliation through the job queue and wait for it;
#   6. print the summary and the top exceptions; stop the daemon.
# Safe to run twice: the merchant is created once and imports and runs replace what they made.
#
# Environment: DEMO_ORDERS (default 2000), DEMO_SEED (1), DEMO_PERIOD (YYYY-MM; default the
# previous month), DEMO_DIR (demo-out), SWIFT (swift).
set -euo pipefail
cd "$(dirname "$0")/.."

ORDERS="${DEMO_ORDERS:-2000}"
SEED="${DEMO_SEED:-1}"
DIR="${DEMO_DIR:-demo-out}"
SWIFT="${SWIFT:-swift}"
BIN="$($SWIFT build --show-bin-path)"
CLI="$BIN/shoprecon"
DAEMON="$BIN/shoprecond"
TENANT=demo
PASSWORD=demo-password-1

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

mkdir -p "$DIR"
export SHOPRECON_CONFIG_DIR="$PWD/$DIR/.config"
export SHOPRECON_OPERATOR=demo

step "Migrating the local database"
"$CLI" db migrate

step "Generating ${ORDERS} orders (seed ${SEED}) in ${DIR}/"
gen_args=(gen --orders "$ORDERS" --seed "$SEED" --out "$DIR")
if [[ -n "${DEMO_PERIOD:-}" ]]; then gen_args+=(--period "$DEMO_PERIOD"); fi
"$CLI" "${gen_args[@]}"
truth() { python3 -c "import json,sys; t=json.load(open('$DIR/truth.json')); print($1)"; }
PERIOD="$(truth "t['period']")"
AS_OF="$(truth "t['as_of']")"

step "The merchant '${TENANT}', its stores and staff"
if "$CLI" tenant show "$TENANT" >/dev/null 2>&1; then
    echo "exists already"
else
    "$CLI" tenant create "$TENANT" --name "$(truth "t['merchant']")" --time-zone "$(truth "t['time_zone']")"
    while IFS=$'\t' read -r code name channel; do
        "$CLI" store add "$code" --name "$name" --channel "$channel" --tenant "$TENANT"
    done < <(truth "'\n'.join(s['code'] + '\t' + s['name'] + '\t' + s['channel'] for s in t['stores'])")
    for user in "boss owner" "fin finance" "mgr finance_manager" "sales sales"; do
        set -- $user
        echo "$PASSWORD" | "$CLI" user add "$1" --role "$2" --password-stdin --tenant "$TENANT"
    done
fi

# Logs in once per user for this run; the tokens stay in this shell only.
declare -A TOKENS
as_user() { # as_user USER shoprecon-arguments...
    local user="$1"; shift
    if [[ -z "${TOKENS[$user]:-}" ]]; then
        TOKENS[$user]="$(echo "$PASSWORD" | "$CLI" login --tenant "$TENANT" "$user" --password-stdin --print-token)"
    fi
    SHOPRECON_TOKEN="${TOKENS[$user]}" "$CLI" "$@"
}

step "Mappings, rate card and a rule (as boss, the owner)"
while IFS=$'\t' read -r name file; do
    [[ -n "$name" ]] || continue
    if as_user boss mapping show "$name" >/dev/null 2>&1; then echo "mapping $name exists"
    else as_user boss mapping create "$name" --json-file "$DIR/$file"; fi
done < <(truth "'\n'.join(f['mapping'] + '\t' + f['name'] for f in t['files'] if f['role'] == 'mapping')")
as_user boss ratecard import "$DIR/$(truth "[f['name'] for f in t['files'] if f['role'] == 'rate_card'][0]")" --replace
if as_user boss rules list | grep -q big-orders; then echo "rule big-orders exists"
else as_user boss rules add big-orders --on order --when 'amount > 1000' --action approval --role finance_manager; fi

step "Importing every file (as fin, the finance user)"
while IFS=$'\t' read -r file format store mapping; do
    args=(import "$DIR/$file" --format "$format")
    [[ -n "$store" ]] && args+=(--store "$store")
    [[ -n "$mapping" ]] && args+=(--mapping "$mapping")
    as_user fin "${args[@]}"
done < <(truth "'\n'.join('\t'.join([f['name'], f['format'], f['store'] or '', f['mapping'] or '']) for f in t['files'] if f['role'] == 'import')")

step "Reconciling ${PERIOD} as of ${AS_OF} through the job queue"
LOG="$DIR/shoprecond.log"
"$DAEMON" --queues default --http-port 0 >"$LOG" 2>&1 &
DAEMON_PID=$!
trap 'kill -TERM "$DAEMON_PID" 2>/dev/null || true; wait "$DAEMON_PID" 2>/dev/null || true' EXIT
as_user fin recon run --period "$PERIOD" --as-of "$AS_OF" --wait --timeout 600

step "Summary of ${PERIOD}"
as_user fin recon summary --period "$PERIOD"

step "Top exceptions (shoprecon exceptions list --period ${PERIOD} --limit 15)"
as_user fin exceptions list --period "$PERIOD" --limit 15

step "Held back for a finance manager's approval (shoprecon approvals list)"
as_user mgr approvals list

cat <<EOF

The demo merchant is '${TENANT}' (users boss, fin, mgr, sales; password ${PASSWORD}); the files
and truth.json are in ${DIR}/, the daemon's log in ${LOG}. Try, for example:
  echo ${PASSWORD} | $CLI login --tenant ${TENANT} fin --password-stdin
  $CLI exceptions show ID
  $CLI exceptions export --xlsx ${DIR}/exceptions.xlsx --period ${PERIOD}
EOF
