#!/usr/bin/env bash
# Makes the notebooks executable headless, idempotently (used by .ci/run and the README):
#   1. Debian packages: python3-nbclient (Jupyter client that executes notebooks) and chromium (static PNG/SVG
#      export and the rendered-plot test); installed with apt-get when missing and we are root.
#   2. node_modules/apc-repro -> .. (notebooks import the library by package name; see scripts/link-self.js).
#   3. zeromq's prebuilt binary loads (tslab's transport; npm did not need to build it).
#   4. A project-local tslab kernel spec, .jupyter-runtime/kernels/tslab/kernel.json, with absolute paths to
#      node and tslab; scripts/run-notebooks.py puts .jupyter-runtime on JUPYTER_PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
PY=/usr/bin/python3   # the system python carries Debian's nbclient; a pyenv `python3` on PATH does not

missing=()
[ -x "$PY" ] && "$PY" -c 'import nbclient, nbformat, jupyter_client' 2>/dev/null || missing+=(python3-nbclient)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup-jupyter: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup-jupyter: missing Debian packages: ${missing[*]} (apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
fi

node scripts/link-self.js
node -e "require('zeromq')" || { echo "setup-jupyter: node_modules/zeromq does not load (tslab needs it)" >&2; exit 1; }

TSLAB="$ROOT/node_modules/tslab/bin/tslab"
[ -f "$TSLAB" ] || { echo "setup-jupyter: $TSLAB not found; run npm ci first" >&2; exit 1; }
NODE="$(command -v node)"
SPEC_DIR="$ROOT/.jupyter-runtime/kernels/tslab"
mkdir -p "$SPEC_DIR"
cat > "$SPEC_DIR/kernel.json.tmp" <<JSON
{
  "argv": ["$NODE", "$TSLAB", "kernel", "--config-path", "{connection_file}"],
  "display_name": "TypeScript (tslab, apc-repro)",
  "language": "typescript"
}
JSON
mv "$SPEC_DIR/kernel.json.tmp" "$SPEC_DIR/kernel.json"
echo "setup-jupyter: kernel spec $SPEC_DIR/kernel.json (JUPYTER_PATH=$ROOT/.jupyter-runtime)"
