#!/bin/sh
# Run one CLI of dist/src/cli/ (the npm scripts call this): build with tsc first, except that --help / -h of a CLI
# that is built already answers at once, without a rebuild. `exec` hands signals (SIGINT: checkpoint) to the CLI.
#   sh scripts/cli.sh NAME [ARGS...]
set -e
name="$1"
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
cli="$root/dist/src/cli/$name.js"
help=no
for a in "$@"; do
  case "$a" in --help|-h) help=yes ;; esac
done
if [ "$help" = no ] || [ ! -f "$cli" ]; then
  node "$root/node_modules/typescript/bin/tsc" -p "$root/tsconfig.json"
fi
exec node "$cli" "$@"
