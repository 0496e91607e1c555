#!/usr/bin/env bash
# Opens the notebooks in Jupyter (`npm run notebooks`): installs Debian's jupyter-notebook when missing and we are
# root, writes the project-local tslab kernel spec (setup-jupyter.sh), then serves notebooks/ on 127.0.0.1
# without opening a browser; open the printed http://127.0.0.1:PORT/?token=... URL. As root it adds
# --allow-root. Extra arguments go to `jupyter notebook` (e.g. --port 9999).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
if ! command -v jupyter-notebook >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "open-notebooks: installing jupyter-notebook"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jupyter-notebook >/dev/null
  else
    echo "open-notebooks: jupyter-notebook is missing (apt-get install -y jupyter-notebook)" >&2
    exit 1
  fi
fi
bash scripts/setup-jupyter.sh >/dev/null
export JUPYTER_PATH="$ROOT/.jupyter-runtime${JUPYTER_PATH:+:$JUPYTER_PATH}"
export JUPYTER_RUNTIME_DIR="$ROOT/.jupyter-runtime/runtime"
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
exec jupyter-notebook --no-browser --ip=127.0.0.1 --notebook-dir="$ROOT/notebooks" "${extra[@]}" "$@"
