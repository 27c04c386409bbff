#!/usr/bin/env bash
# At PyPI's pace: a repository of TARGETS targets (default 1,200,000: a page and a distribution
# for each of TARGETS/2 projects) in BINS hash bins (16,384), built by one sync; then WORKERS
# processes at a time run `tuf-cli repo add` (BATCH new files each) at RATE new files a second
# in all, for SECONDS, while one `tuf-cli repo publish --every PERIOD` turns what arrived into
# one snapshot and timestamp per tick. Reports the files added per second, the latency from an
# add's return to the timestamp that covers it (p50, p99, max), each publish's size and time,
# and the publisher's peak memory.
# Usage: bench/pypi-pace.sh [TARGETS] [RATE] [SECONDS] [BINS] [PERIOD]
# BENCH_DIR picks the file system (default target/bench-work). At the default size the trees
# need about 4 million inodes: more than /dev/shm allows by default; e.g.
#   mount -t tmpfs -o size=18G,nr_inodes=12M tmpfs target/pace-tmpfs; BENCH_DIR=target/pace-tmpfs
set -euo pipefail
cd "$(dirname "$0")/.."
targets=${1:-1200000}
rate=${2:-1000}
seconds=${3:-60}
bins=${4:-16384}
period=${5:-1}
workers=${WORKERS:-8}
batch=${BATCH:-25}
cargo build -q -j2 --release -p tuf-cli
cli=$PWD/target/release/tuf-cli
base=${BENCH_DIR:-$PWD/target/bench-work}
mkdir -p "$base"
work=$(mktemp -d "$base/pypi-pace.XXXXXX")
trap 'kill "${publisher:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
echo "== $targets targets in $bins bins; then $rate new files/s for ${seconds}s, $workers adders of $batch files, a publish every ${period}s"
t=$(date +%s.%N)
python3 bench/py/make_tree.py "$work/tree" $((targets / 2))
echo "tree written in $(python3 -c "import time; print(f'{time.time() - $t:.1f}')") s"
# Distribution files in place, as a PyPI mirror keeps them (their paths name one content).
"$cli" repo --repo "$work/repo" init --bins "$bins" --in-place packages/ >/dev/null
/usr/bin/time -f "build: %e s wall, %U s user, %S s system, %M KiB peak" \
  "$cli" repo --repo "$work/repo" sync "$work/tree" >/dev/null
# The new files, written beforehand: the adders hash and stage them.
total=$((rate * seconds))
python3 - "$work/tree/packages/new" "$total" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"{i % 4096:03x}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"new-{i}-1.0-py3-none-any.whl"), "wb") as f:
        f.write(f"new release {i}\n".encode() * 8)
PY
"$cli" repo --repo "$work/repo" publish --every "$period" > "$work/publisher.log" &
publisher=$!
python3 - "$cli" "$work" "$total" "$rate" "$workers" "$batch" <<'PY' > "$work/adds.log"
import concurrent.futures, os, subprocess, sys, time
cli, work, total, rate, workers, batch = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
tree = f"{work}/tree"
files = [f"{tree}/packages/new/{i % 4096:03x}/new-{i}-1.0-py3-none-any.whl" for i in range(total)]
batches = [files[i:i + batch] for i in range(0, total, batch)]
start = time.time()
def add(k):
    # Batch k is due at start + k * batch / rate: the adders keep the pace, not more.
    due = start + k * batch / rate
    time.sleep(max(0.0, due - time.time()))
    subprocess.run([cli, "repo", "--repo", f"{work}/repo", "add", "--tree", tree, *batches[k]],
                   check=True, stdout=subprocess.DEVNULL)
    return time.time(), len(batches[k])
with concurrent.futures.ThreadPoolExecutor(workers) as ex:
    for done, n in ex.map(add, range(len(batches))):
        print(f"{done:.3f} {n}")
print(f"# {time.time() - start:.3f}", flush=True)
PY
# Every add is covered once the publisher's log is taken after it: wait for the staged log to
# drain, then stop the publisher.
drained() {
  [ ! -s "$work/repo/state/staging/log" ] &&
    { [ ! -e "$work/repo/state/staged.json" ] || [ "$(cat "$work/repo/state/staged.json")" = "[]" ]; }
}
for _ in $(seq 1 600); do
  drained && break
  sleep 0.2
done
peak=$(grep VmHWM "/proc/$publisher/status" | awk '{print $2}')
kill -TERM "$publisher"; wait "$publisher" || true
python3 - "$work/adds.log" "$work/publisher.log" "$total" "$peak" <<'PY'
import statistics, sys
adds_log, pub_log, total, peak = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
adds, elapsed = [], None
for line in open(adds_log):
    if line.startswith("#"):
        elapsed = float(line.split()[1])
    else:
        t, n = line.split()
        adds.append((float(t), int(n)))
pubs = []
for line in open(pub_log):
    if line.startswith("published"):
        f = dict(kv.split("=") for kv in line.split()[1:])
        pubs.append((float(f["taken"]), float(f["written"]), int(f["changes"]), int(f["bins"])))
lat = []
for t, n in adds:
    cover = next((p for p in pubs if p[0] >= t), None)
    if cover is None:
        sys.exit(f"an add at {t} was never covered")
    lat += [cover[1] - t] * n
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"added: {sum(n for _, n in adds)} files in {elapsed:.1f} s = {sum(n for _, n in adds) / elapsed:.0f} files/s")
print(f"arrival to covering timestamp: p50 {q(0.5):.2f} s, p99 {q(0.99):.2f} s, max {lat[-1]:.2f} s")
dur = [w - t for t, w, _, _ in pubs]
print(f"publishes: {len(pubs)}, changes each median {statistics.median(p[2] for p in pubs):.0f}, "
      f"bins each median {statistics.median(p[3] for p in pubs):.0f}, "
      f"time each median {statistics.median(dur):.2f} s, max {max(dur):.2f} s")
print(f"publisher peak RSS: {peak / 1024:.1f} MiB")
PY
"$cli" repo --repo "$work/repo" verify --no-targets | tail -1
