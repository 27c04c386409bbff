#!/usr/bin/env bash
# Builds a PyPI-shaped repository (default 100,000 projects: a simple page and a distribution
# each, 16,384 bins) with tuf-cli, reports build time (wall, user and system CPU), metadata
# size (raw and gzip) and the time of an incremental add + publish of one new release; then
# builds the same repository with python-tuf's Metadata API for comparison.
# Usage: bench/repo-scale.sh [PROJECTS] [BINS]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-100000}
bins=${2:-16384}
py=$(./scripts/python-env.sh | tail -n 1)
cargo build -q -j2 --release -p tuf-cli
cli=$PWD/target/release/tuf-cli
# BENCH_DIR picks the file system (e.g. /dev/shm, a tmpfs, to measure the code rather than the
# disk's inode allocator); default target/bench-work.
base=${BENCH_DIR:-$PWD/target/bench-work}
mkdir -p "$base"
work=$(mktemp -d "$base/repo-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT
# run LABEL CMD...: wall, user and system seconds of CMD and its children.
run() {
  local label=$1; shift
  python3 - "$label" "$@" <<'PY'
import resource, subprocess, sys, time
t = time.time()
subprocess.run(sys.argv[2:], check=True, stdout=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{sys.argv[1]:<34} {time.time() - t:8.3f} s wall {r.ru_utime:8.3f} s user {r.ru_stime:8.3f} s system")
PY
}
echo "== tree: $projects projects ($((2 * projects)) files), $bins bins"
"$py" bench/py/make_tree.py "$work/tree" "$projects"
run "ours: repo init" "$cli" repo --repo "$work/repo" init --bins "$bins"
run "ours: repo sync (hash, link, sign)" "$cli" repo --repo "$work/repo" sync "$work/tree"
latest_bytes() { # newest version of every metadata file: what a mirror serves
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
echo "metadata (newest version of each file): $(latest_bytes "$work/repo/metadata" .json) bytes raw, $(latest_bytes "$work/repo/metadata" .json.gz) bytes gzip"
mkdir -p "$work/tree/packages/new"
echo "a new release" > "$work/tree/packages/new/project-new-2.0.tar.gz"
run "ours: incremental repo add" "$cli" repo --repo "$work/repo" add --tree "$work/tree" "$work/tree/packages/new/project-new-2.0.tar.gz"
run "ours: incremental repo publish" "$cli" repo --repo "$work/repo" publish
"$cli" repo --repo "$work/repo" publish | sed 's/^/  (in-process figure of an empty publish) /'
run "ours: repo verify --no-targets" "$cli" repo --repo "$work/repo" verify --no-targets
run "python-tuf 7.0.1 build (same repo)" "$py" bench/py/build_repo_python.py "$work/tree" "$work/python-repo" "$bins"
