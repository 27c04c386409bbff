#!/usr/bin/env bash
# Install time of the same packages from the same local mirror with pip directly (a plain
# PEP 503 index) and through `tuf-cli install` (TUF-verified), cold (empty caches) and warm
# (pip's cache and the TUF cache filled). Median of RUNS runs each.
# Usage: bench/pip-overhead.sh [PROJECTS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-20}
runs=${2:-5}
py=$(./scripts/python-env.sh | tail -n 1)
cargo build -q -j2 --release -p tuf-cli
cli=$PWD/target/release/tuf-cli
mkdir -p target/bench-work
work=$(mktemp -d "$PWD/target/bench-work/pip-overhead.XXXXXX")
cleanup() { kill "${plain_pid:-}" "${tuf_pid:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# A chain: p0 requires p1, which requires p2, ...: pip resolves and fetches every project.
for i in $(seq 0 $((projects - 1))); do
  req=()
  [ "$i" -lt $((projects - 1)) ] && req=(--requires "p$((i + 1))")
  "$py" scripts/py/make_wheel.py "$work/dists" "p$i" 1.0 "${req[@]}" --file "data.txt=$(head -c 20000 /dev/zero | tr '\0' x)" >/dev/null
done
"$cli" repo --repo "$work/repo" init --bins 256 >/dev/null
"$cli" repo --repo "$work/repo" add-dists "$work/dists" >/dev/null
port_of() { sed -n 's#.*http://127.0.0.1:\([0-9]*\)/.*#\1#p' | head -n 1; }
# Plain index: the same generated tree, served without TUF.
(cd "$work/repo/dists-tree" && exec "$py" -m http.server 0 --bind 127.0.0.1) > "$work/plain.log" 2>&1 &
plain_pid=$!
"$cli" repo --repo "$work/repo" serve --addr 127.0.0.1:0 > "$work/tuf.log" 2>&1 &
tuf_pid=$!
sleep 1
plain_port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/plain.log" | head -n 1)
tuf_port=$(port_of < "$work/tuf.log")
measure() { # label, then the command; prints the median of $runs runs
  local label=$1; shift
  python3 - "$label" "$runs" "$@" <<'PY'
import statistics, subprocess, sys, time
label, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
times = []
for i in range(runs):
    t = time.perf_counter()
    subprocess.run([c.replace("{i}", str(i)) for c in cmd], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append(time.perf_counter() - t)
print(f"{label:<40} median {statistics.median(times):.3f} s (runs: {', '.join(f'{x:.2f}' for x in times)})")
PY
}
common=(--disable-pip-version-check --isolated -q)
echo "== $projects projects in a dependency chain, $runs runs each"
measure "pip, plain index, cold" "$py" -m pip install "${common[@]}" --no-cache-dir --index-url "http://127.0.0.1:$plain_port/simple/" --target "$work/site-plain-cold-{i}" p0
measure "tuf-cli install, cold" "$cli" install --mirror "http://127.0.0.1:$tuf_port/" --root "$work/repo/metadata/1.root.json" --cache-dir "$work/tuf-cold-{i}" --python "$py" p0 -- --target "$work/site-tuf-cold-{i}"
"$py" -m pip install "${common[@]}" --cache-dir "$work/pipcache" --index-url "http://127.0.0.1:$plain_port/simple/" --target "$work/warmup-plain" p0 >/dev/null
measure "pip, plain index, warm" "$py" -m pip install "${common[@]}" --cache-dir "$work/pipcache" --index-url "http://127.0.0.1:$plain_port/simple/" --target "$work/site-plain-warm-{i}" p0
"$cli" install --mirror "http://127.0.0.1:$tuf_port/" --root "$work/repo/metadata/1.root.json" --cache-dir "$work/tuf-warm" --python "$py" p0 -- --target "$work/warmup-tuf" >/dev/null
measure "tuf-cli install, warm" "$cli" install --mirror "http://127.0.0.1:$tuf_port/" --root "$work/repo/metadata/1.root.json" --cache-dir "$work/tuf-warm" --python "$py" p0 -- --target "$work/site-tuf-warm-{i}"
