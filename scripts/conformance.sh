#!/usr/bin/env bash
# Runs the public TUF conformance suite (a checkout of GitHub theupdateframework/tuf-conformance,
# given by path) against tuf-conformance-client.
# Usage: scripts/conformance.sh SUITE_DIR [pytest args...]
# Needs `faketime` (Debian package) for the tests that move the clock.
set -euo pipefail
suite=$(cd "${1:?usage: scripts/conformance.sh SUITE_DIR [pytest args]}" && pwd)
shift
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv-conformance"
if [ ! -x "$venv/bin/pytest" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -e "$suite"
fi
command -v faketime >/dev/null || echo "conformance.sh: faketime not found; clock tests will fail (apt-get install faketime)" >&2
cargo build -q -j2 --release -p tuf-conformance --bin tuf-conformance-client --manifest-path "$root/Cargo.toml"
client="$root/target/release/tuf-conformance-client"
cd "$suite"
"$venv/bin/pytest" -q tuf_conformance --entrypoint "$client" "$@"
