#!/usr/bin/env bash
# Draws docs/overhead.png from docs/overhead.csv (figures measured by bench/pypi-overhead.sh and
# the seed's table) with matplotlib, in a virtual environment of its own (.venv-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-bench
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check matplotlib==3.9.2
fi
"$venv/bin/python" bench/py/overhead_chart.py docs/overhead.csv docs/overhead.png
echo "wrote docs/overhead.png"
