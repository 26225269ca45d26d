#!/usr/bin/env bash
# Runs a benchmark script against the dev stack: starts it if needed (npm run up),
# exports the values of `npm run status`, then runs the Deno script with its args.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/stack.sh up > /dev/null
set -a
eval "$(bash scripts/stack.sh status)"
set +a
exec node_modules/.bin/deno run --allow-all "$@"
