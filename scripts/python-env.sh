#!/usr/bin/env bash
# Creates (once) and reuses the Python virtual environment the interop tests run python-tuf in.
# Also creates (once) a second environment with a current pip (CURRENT_PIP below), which the
# installer-escape tests run every pip case with besides the pinned one; its python is
# exported to the tests as TUF_PYTHON_CURRENT_PIP by scripts/test.
# Prints the path of its python interpreter on the last line.
# Pinned (scripts/py/requirements.txt): python-tuf 7.0.1 and securesystemslib 1.6.0, the
# versions the shared fixtures were made with, and uv for the real-installer tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="${TUF_VENV:-$root/.venv}"
req="$root/scripts/py/requirements.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "python-env: creating $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
  echo "$want" > "$stamp"
fi
"$venv/bin/python" -c 'import tuf, securesystemslib; assert tuf.__version__ == "7.0.1", tuf.__version__' >&2
current="${TUF_VENV_CURRENT_PIP:-$root/.venv-pip-current}"
CURRENT_PIP=26.3
if [ "$("$current/bin/python" -m pip --version 2>/dev/null | cut -d' ' -f2)" != "$CURRENT_PIP" ]; then
  echo "python-env: creating $current (pip $CURRENT_PIP)" >&2
  python3 -m venv "$current"
  "$current/bin/python" -m pip install --quiet --disable-pip-version-check "pip==$CURRENT_PIP" >&2
fi
echo "$venv/bin/python"
