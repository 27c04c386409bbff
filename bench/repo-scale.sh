#!/usr/bin/env bash
# Builds a PyPI-shaped repository (default 100,000 projects: a simple page and a distribution
# each, 16,384 bins) with tuf-cli, reports build time (wall, user and system CPU), metadata
# size (raw and gzip), the same sync with packages/ in place (time and disk beside the tree),
# the time of an incremental add + publish of one new release, and of one
# bandersnatch run's diff applied (against a sync finding the same change); the floor of
# reading and hashing the tree's files (one thread, all cores); then builds the
# same repository with python-tuf's Metadata API for comparison.
# Usage: bench/repo-scale.sh [PROJECTS] [BINS]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-100000}
bins=${2:-16384}
py=$(./scripts/python-env.sh | tail -n 1)
cargo build -q -j2 --release -p tuf-cli
cargo build -q -j2 --release -p tuf-repo --example read_hash_floor
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
# The floor of a full build: reading and hashing the same files, nothing else.
mkdir "$work/floor-copy"
./target/release/examples/read_hash_floor "$work/tree" "$work/floor-copy"
rm -rf "$work/floor-copy"
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
# Targets in place: distribution files (packages/) signed where they lie, hard links to the
# tree's files; the pages still hash-prefixed copies. du counts a file once across its
# arguments, so each targets/ line is what that repository adds beside the tree.
"$cli" repo --repo "$work/repo-in-place" init --bins "$bins" --in-place packages/ >/dev/null
run "ours: repo sync, packages/ in place" "$cli" repo --repo "$work/repo-in-place" sync "$work/tree"
du -sk "$work/tree" "$work/repo/targets" "$work/repo-in-place/targets" \
  | sed "s|$work/||; s|^|disk (KiB, hard links once): |"
rm -rf "$work/repo-in-place"
mkdir -p "$work/tree/packages/new"
echo "a new release" > "$work/tree/packages/new/project-new-2.0.tar.gz"
run "ours: incremental repo add" "$cli" repo --repo "$work/repo" add --tree "$work/tree" "$work/tree/packages/new/project-new-2.0.tar.gz"
run "ours: incremental repo publish" "$cli" repo --repo "$work/repo" publish
"$cli" repo --repo "$work/repo" publish | sed 's/^/  (in-process figure of an empty publish) /'
# The same tree as a bandersnatch mirror's web/: a run that added a release to one project
# lists the new file and the project's pages in its diff file; apply-diff publishes that list
# (work proportional to it), where a sync walks all of the tree to find the change.
mkdir -p "$work/bs"
ln -s "$work/tree" "$work/bs/web"
add_release() { # N: project-000001 gets release N (a file and a new PEP 691 page listing it)
  local f="$work/tree/packages/01/00/project-000001-$1.0.tar.gz"
  echo "release $1" > "$f"
  python3 - "$f" "$work/tree/simple/project-000001/index.v1_json" "$1" <<'PY'
import hashlib, json, os, sys
f, page, n = sys.argv[1:]
data = open(f, "rb").read()
entry = {"filename": os.path.basename(f), "url": f"../../packages/01/00/{os.path.basename(f)}",
         "hashes": {"sha256": hashlib.sha256(data).hexdigest()}, "size": len(data)}
json.dump({"meta": {"api-version": "1.1"}, "name": "project-000001", "files": [entry]}, open(page, "w"))
PY
  printf '%s\n' "$work/bs/web/packages/01/00/project-000001-$1.0.tar.gz" \
    "$work/bs/web/simple/project-000001/index.html" \
    "$work/bs/web/simple/project-000001/index.v1_json" > "$work/bs/mirrored-files"
}
add_release 2
run "ours: repo apply-diff (3 files listed)" "$cli" repo --repo "$work/repo" apply-diff --mirror "$work/bs" "$work/bs/mirrored-files"
add_release 3
run "ours: repo sync (the same change)" "$cli" repo --repo "$work/repo" sync "$work/bs"
run "ours: repo verify --no-targets" "$cli" repo --repo "$work/repo" verify --no-targets
run "python-tuf 7.0.1 build (same repo)" "$py" bench/py/build_repo_python.py "$work/tree" "$work/python-repo" "$bins"
