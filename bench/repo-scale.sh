#!/usr/bin/env bash
# Builds a PyPI-shaped repository (default 100,000 projects: a simple page and a distribution
# each, 16,384 bins) with tuf-cli, reports build time, metadata size (raw and gzip) and the time
# of an incremental add + publish of one new release; then builds the same repository with
# python-tuf's Metadata API for comparison.
# Usage: bench/repo-scale.sh [PROJECTS] [BINS]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-100000}
bins=${2:-16384}
py=$(./scripts/python-env.sh | tail -n 1)
cargo build -q -j2 --release -p tuf-cli
cli=$PWD/target/release/tuf-cli
mkdir -p target/bench-work
work=$(mktemp -d "$PWD/target/bench-work/repo-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "== tree: $projects projects ($((2 * projects)) files)"
"$py" bench/py/make_tree.py "$work/tree" "$projects"
secs() { python3 -c "import time,sys; print(f'{time.time()-float(sys.argv[1]):.3f}')" "$1"; }
t0=$(python3 -c 'import time; print(time.time())')
"$cli" repo --repo "$work/repo" init --bins "$bins" >/dev/null
t1=$(python3 -c 'import time; print(time.time())')
"$cli" repo --repo "$work/repo" sync "$work/tree" >/dev/null
init_s=$(python3 -c "print(f'{$t1-$t0:.3f}')")
build_s=$(secs "$t0")
echo "ours: init $init_s s, init + sync $build_s s"
latest_bytes() { # sum of the newest version of every metadata file (what a new mirror holds)
  python3 - "$1" "$2" <<'PY'
import os, re, sys
d, ext = sys.argv[1], sys.argv[2]
best = {}
for f in os.listdir(d):
    if not f.endswith(ext):
        continue
    m = re.match(r"^(\d+)\.(.*)$", f)
    name, v = (m.group(2), int(m.group(1))) if m else (f, 0)
    if name not in best or v > best[name][0]:
        best[name] = (v, os.path.getsize(os.path.join(d, f)))
print(sum(s for _, s in best.values()))
PY
}
raw=$(latest_bytes "$work/repo/metadata" ".json")
gz=$(latest_bytes "$work/repo/metadata" ".json.gz")
echo "metadata (newest version of each file): $raw bytes raw, $gz bytes gzip"
mkdir -p "$work/tree/packages/new"
echo "a new release" > "$work/tree/packages/new/project-new-2.0.tar.gz"
t2=$(python3 -c 'import time; print(time.time())')
"$cli" repo --repo "$work/repo" add --tree "$work/tree" "$work/tree/packages/new/project-new-2.0.tar.gz" >/dev/null
"$cli" repo --repo "$work/repo" publish
echo "incremental add + publish (two processes): $(secs "$t2") s"
"$cli" repo --repo "$work/repo" verify --no-targets | tail -n 1
py_s=$("$py" bench/py/build_repo_python.py "$work/tree" "$work/python-repo" "$bins")
echo "python-tuf 7.0.1 Metadata API, same repository: $py_s s"
python3 -c "print(f'speed-up of the build: {$py_s/$build_s:.1f}x')"
