#!/usr/bin/env bash
# The client against python-tuf's ngclient, whole processes, in one run: a PEP 458-shaped
# repository (default 100,000 projects, 16,384 succinct bins, consistent snapshots) served by
# one HTTP server for both; each run refreshes, looks up simple/<project>/index.html and
# downloads it, starting from
#   cold:   only the trusted root,
#   warm:   the metadata a run left in the current state (nothing changed),
#   update: the metadata a run left in the state before one new release (a new timestamp,
#           snapshot and bin, the looked-up project's).
# Reports median time per process, the harness's own cost (/bin/true) taken off both, peak RSS,
# and the ratio python-tuf / ours; beside them the floor: a process copying the snapshot, and one
# sha256 and one sha512 pass over it.
# Usage: bench/client-vs-python.sh [PROJECTS] [RUNS] [BINS]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-100000}
runs=${2:-21}
bins=${3:-16384}
py=$(./scripts/python-env.sh | tail -n 1)
cargo build -q -j2 --release -p tuf-cli -p tuf-conformance
cli=$PWD/target/release/tuf-cli
ours=$PWD/target/release/tuf-conformance-client
# The repository and the seeds are built once per size and kept (the build takes a while).
work=$PWD/target/bench-work/client-vs-python-$projects-$bins
cleanup() { kill "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"/run-*; }
trap cleanup EXIT
serve() {
  "$cli" repo --repo "$work/repo" serve --addr 127.0.0.1:0 > "$work/serve.log" &
  server_pid=$!
  for _ in $(seq 50); do grep -q 'http://' "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
  base=$(grep -o 'http://[^ ]*/metadata/' "$work/serve.log" | head -n 1)
  base=${base%metadata/}
  murl="${base}metadata/"
  turl="${base}targets/"
}
target="simple/project-000001/index.html"
if [ ! -e "$work/done" ]; then
  rm -rf "$work"
  mkdir -p "$work"
  echo "== building: $projects projects, $bins bins"
  "$py" bench/py/make_tree.py "$work/tree" "$projects"
  "$cli" repo --repo "$work/repo" init --bins "$bins" >/dev/null
  "$cli" repo --repo "$work/repo" sync "$work/tree" | tail -n 1
  serve
  mkdir -p "$work/seed-cold" "$work/scratch"
  cp "$work/repo/metadata/1.root.json" "$work/seed-cold/root.json"
  refresh() { # dir: seed-cold after a run (the bins role and the looked-up bin cached too)
    cp -r "$work/seed-cold" "$1"
    "$ours" --metadata-dir "$1" --metadata-url "$murl" --target-name "$target" \
      --target-base-url "$turl" --target-dir "$work/scratch" download
  }
  refresh "$work/seed-update"
  # One new release of the looked-up project: a new distribution and its changed page.
  echo "release 1.1" > "$work/tree/packages/01/00/project-000001-1.1.tar.gz"
  echo '<html><body><a href="../../packages/01/00/project-000001-1.1.tar.gz">project-000001-1.1.tar.gz</a></body></html>' \
    > "$work/tree/$target"
  "$cli" repo --repo "$work/repo" add --tree "$work/tree" \
    "$work/tree/packages/01/00/project-000001-1.1.tar.gz" "$work/tree/$target" >/dev/null
  "$cli" repo --repo "$work/repo" publish | tail -n 1
  refresh "$work/seed-warm"
  rm -rf "$work/tree" "$work/scratch"
  touch "$work/done"
else
  serve
fi
echo "== snapshot: $(stat -c %s "$work/seed-warm/snapshot.json") B, timestamp $(stat -c %s "$work/seed-warm/timestamp.json") B"
echo "== $runs runs per path and client, interleaved"
"$py" bench/py/client_runs.py "$work" "$runs" \
  "python-tuf=$py bench/py/ngclient_download.py {md} $murl $turl {td} $target" \
  "ours=$ours --metadata-dir {md} --metadata-url $murl --target-name $target --target-base-url $turl --target-dir {td} download" \
  "cp-snapshot=cp $work/seed-warm/snapshot.json {td}/snapshot.json"
# The floor: a process that only copies the snapshot's bytes (above, `cp-snapshot`), and one
# pass of each hash a refresh needs over them (sha256 for the timestamp's hash of the
# snapshot, sha512 inside ed25519's signature check).
size=$(stat -c %s "$work/seed-warm/snapshot.json")
echo "== the floor: hashing the $size-byte snapshot once (openssl speed, this machine)"
openssl speed -bytes "$size" -seconds 1 sha256 sha512 2>/dev/null |
  awk -v n="$size" '/^(sha256|sha512) / { kb = $2; sub(/k$/, "", kb); printf "%s: %.2f ms\n", $1, n / (kb * 1000) * 1000 }'

