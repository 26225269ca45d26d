#!/usr/bin/env bash
# Runs a script (a benchmark, the docs screenshots) against the dev stack: starts it if needed (npm run up),
# exports the values of `npm run status`, then runs the script with its args (Deno for
# .ts, Node 24 for .mjs).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/stack.sh up > /dev/null
set -a
eval "$(bash scripts/stack.sh status)"
set +a
case "$1" in
  *.mjs) exec node_modules/.bin/node "$@" ;;
  *) exec node_modules/.bin/deno run --allow-all "$@" ;;
esac
