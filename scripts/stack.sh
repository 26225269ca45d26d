#!/usr/bin/env bash
# Entry point of every stack command (npm start/up/down/status/db:reset/test).
# It makes sure the machine has what the local stack needs, then hands over to
# the Deno orchestrator in scripts/stack/main.ts.
set -euo pipefail
cd "$(dirname "$0")/.."

cmd="${1:-start}"
# The one package list (scripts/stack/debian-packages.txt); "test:" lines only for npm test.
mapfile -t PACKAGES < <(grep -v '^#' scripts/stack/debian-packages.txt | grep -v '^test:' | grep .)
[ "$cmd" = test ] && mapfile -t -O "${#PACKAGES[@]}" PACKAGES < <(sed -n 's/^test: *//p' scripts/stack/debian-packages.txt)
# A caller's own needs, installed the same way (npm run bench:ingest: wrk).
# shellcheck disable=SC2206
[ -n "${VIBE_EXTRA_PACKAGES:-}" ] && PACKAGES+=($VIBE_EXTRA_PACKAGES)

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

ensure_packages() {
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  [ -z "${missing// /}" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "✗ Missing Debian packages: $missing" >&2
    echo "  Install them with:  sudo apt-get install -y $missing" >&2
    echo "  (or use Docker and the Supabase CLI instead: npx supabase start)" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null; then
    echo "✗ Missing packages ($missing) and no apt-get on this machine." >&2
    echo "  Install PostgreSQL 15 with pgTAP, pg_cron and plpgsql_check by other means, or use 'npx supabase start'." >&2
    exit 1
  fi
  echo "• installing Debian packages: $missing"
  # shellcheck disable=SC2086
  if ! apt-get install -y -qq $missing >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    apt-get install -y -qq $missing >/dev/null
  fi
}

ensure_node_modules() {
  if [ ! -x node_modules/.bin/deno ] || [ ! -x node_modules/.bin/supabase ]; then
    echo "• installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

case "$cmd" in
  status | down) ;;
  *) ensure_packages ;;
esac
ensure_node_modules
exec node_modules/.bin/deno run --allow-all scripts/stack/main.ts "$@"
