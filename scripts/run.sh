#!/usr/bin/env bash
# `make run`: migrate, seed, make demo keys, start the directory (:8001) and the router (:8002,
# with its webhook worker), and print how to send a first referral. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DIRECTORY_PORT=${PATHWAYS_DIRECTORY_PORT:-8001}
ROUTER_PORT=${PATHWAYS_ROUTER_PORT:-8002}
export PATHWAYS_DIRECTORY_URL="http://127.0.0.1:${DIRECTORY_PORT}"
# A terminal, not a log collector: plain-text logs unless asked otherwise (production: json).
export PATHWAYS_LOG_FORMAT="${PATHWAYS_LOG_FORMAT:-text}"

$BIN/pathways db upgrade --service directory
$BIN/pathways seed
$BIN/pathways db upgrade --service router

key() { $BIN/pathways keys create --replace "$@"; }
directory_admin=$(key --service directory --role admin --name demo-admin)
router_key=$(key --service directory --role service --name demo-router)
referrer=$(key --service router --role referrer --name demo-police-triage)
idva=$(key --service router --role provider --provider idva-service --name demo-idva)
housing=$(key --service router --role provider --provider cambridge-city-council --name demo-housing)
router_admin=$(key --service router --role admin --name demo-admin)
export PATHWAYS_DIRECTORY_API_KEY="$router_key"

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null; }
trap stop EXIT INT TERM

# The admin console's session cookie is Secure by default; over plain http://127.0.0.1 some
# browsers would drop it, so allow it here (development only: production refuses this).
PATHWAYS_CONSOLE_COOKIE_SECURE=false $BIN/pathways serve directory --port "$DIRECTORY_PORT" & pids+=($!)
$BIN/pathways serve router --port "$ROUTER_PORT" & pids+=($!)

ready() { for _ in $(seq 1 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
ready "http://127.0.0.1:${DIRECTORY_PORT}/readyz" || { echo "the directory did not start" >&2; exit 1; }
ready "http://127.0.0.1:${ROUTER_PORT}/readyz" || { echo "the router did not start" >&2; exit 1; }

cat <<TXT

Pathways is running (SQLite files under var/):
  directory  http://127.0.0.1:${DIRECTORY_PORT}/docs
  router     http://127.0.0.1:${ROUTER_PORT}/docs
  console    http://127.0.0.1:${DIRECTORY_PORT}/console/  (sign in with the directory admin key below)

Demo keys (shown once; only their hashes are stored):
  directory admin                     $directory_admin
  router referrer (police triage)     $referrer
  router provider idva-service        $idva
  router provider cambridge housing   $housing
  router admin                        $router_admin

Send a first referral (a high-risk domestic abuse victim in Cambridge):

  curl -s -X POST http://127.0.0.1:${ROUTER_PORT}/referrals \\
    -H "Authorization: Bearer $referrer" -H "Content-Type: application/json" \\
    -H "Idempotency-Key: first-referral" -d @examples/referral.json

Then, as the IDVA service, see and accept its handover:

  curl -s "http://127.0.0.1:${ROUTER_PORT}/handovers?status=requested" -H "Authorization: Bearer $idva"
  curl -s -X POST http://127.0.0.1:${ROUTER_PORT}/handovers/HANDOVER_ID/accept -H "Authorization: Bearer $idva"

Ctrl-C stops both services.
TXT
wait
