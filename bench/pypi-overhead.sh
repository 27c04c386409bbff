#!/usr/bin/env bash
# The seed's overhead table at PyPI scale: builds a mirror with PyPI's shape (default 600,000
# projects, each a simple page and a distribution, in 16,384 bins), serves it with gzip, and
# measures with our client the metadata bytes on the wire for: a new user, a new release
# (different snapshot), an old release (same snapshot, another bin), and a cached bin.
# Usage: bench/pypi-overhead.sh [PROJECTS] [BINS]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-600000}
bins=${2:-16384}
py=$(./scripts/python-env.sh | tail -n 1)
cargo build -q -j2 --release -p tuf-cli
cli=$PWD/target/release/tuf-cli
mkdir -p target/bench-work
work=$(mktemp -d "$PWD/target/bench-work/pypi-overhead.XXXXXX")
cleanup() { kill "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
echo "== building: $projects projects ($((2 * projects)) targets), $bins bins"
"$py" bench/py/make_tree.py "$work/tree" "$projects"
"$cli" repo --repo "$work/repo" init --bins "$bins" >/dev/null
"$cli" repo --repo "$work/repo" sync "$work/tree" | tail -n 1
"$cli" repo --repo "$work/repo" serve --addr 127.0.0.1:0 > "$work/serve.log" &
server_pid=$!
sleep 1
base=$(grep -o 'http://[^ ]*/metadata/' "$work/serve.log" | head -n 1)
base=${base%metadata/}
client=("$cli" client --metadata-dir "$work/client/metadata" --metadata-url "${base}metadata/" --targets-url "${base}targets/" --stats)
"$cli" client --metadata-dir "$work/client/metadata" init --root "$work/repo/metadata/1.root.json" >/dev/null
overhead() { # label target: download through the client and report its metadata overhead
  local line
  line=$("${client[@]}" download "$2" 2>&1 >/dev/null | grep '^metadata overhead')
  printf '%-34s %s\n' "$1" "${line#metadata overhead: }"
}
echo "== metadata overhead per download (our client, gzip on the wire)"
overhead "new user" "packages/00/00/project-000000-1.0.tar.gz"
mkdir -p "$work/tree/packages/new"
echo "a new release" > "$work/tree/packages/new/project-000001-2.0.tar.gz"
"$cli" repo --repo "$work/repo" add --tree "$work/tree" "$work/tree/packages/new/project-000001-2.0.tar.gz" >/dev/null
"$cli" repo --repo "$work/repo" publish >/dev/null
overhead "new release (different snapshot)" "packages/new/project-000001-2.0.tar.gz"
overhead "old release (same snapshot)" "packages/02/00/project-000002-1.0.tar.gz"
overhead "cached bin" "packages/02/00/project-000002-1.0.tar.gz"
echo "seed (2013, PyPI then): new user 111 KB, new release 91 KB, old release 43 KB, cached bin 1.3 KB"
