#!/usr/bin/env bash
# What the installer's sandbox (bubblewrap world) and staging cost: the same install through
# `tuf-cli install` with `--sandbox off` (a venv staged whole as a copy), `--sandbox network`
# (a network namespace; a venv staged whole as an overlay) and `--sandbox auto`
# (the bubblewrap world; an environment install stages purelib, platlib and scripts), for pip
# and uv, into --target and into a fresh virtual environment. PROJECTS independent small
# wheels, median of RUNS runs each, all in one run on the same mirror.
# Usage: bench/sandbox-cost.sh [PROJECTS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-60}
runs=${2:-5}
py=$(./scripts/python-env.sh | tail -n 1)
uv=$(dirname "$py")/uv
cargo build -q -j2 --release -p tuf-cli
cli=$PWD/target/release/tuf-cli
mkdir -p target/bench-work
work=$(mktemp -d "$PWD/target/bench-work/sandbox-cost.XXXXXX")
cleanup() { kill "${tuf_pid:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
reqs=()
for i in $(seq 0 $((projects - 1))); do
  "$py" scripts/py/make_wheel.py "$work/dists" "q$i" 1.0 >/dev/null
  reqs+=("q$i")
done
"$cli" repo --repo "$work/repo" init --bins 256 >/dev/null
"$cli" repo --repo "$work/repo" add-dists "$work/dists" >/dev/null
"$cli" repo --repo "$work/repo" serve --addr 127.0.0.1:0 > "$work/tuf.log" 2>&1 &
tuf_pid=$!
sleep 1
port=$(sed -n 's#.*http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$work/tuf.log" | head -n 1)
"$py" -m venv "$work/venv-base"
measure() { # label, then the command ({i}: the run's number); prints the median
  local label=$1; shift
  python3 - "$label" "$runs" "$@" <<'PY'
import statistics, subprocess, sys, time
label, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
times = []
for i in range(runs):
    c = [x.replace("{i}", str(i)) for x in cmd]
    t = time.perf_counter()
    subprocess.run(c, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append(time.perf_counter() - t)
print(f"{label:<44} median {statistics.median(times):.3f} s (runs: {', '.join(f'{x:.2f}' for x in times)})")
PY
}
tuf=("$cli" install --mirror "http://127.0.0.1:$port/" --root "$work/repo/metadata/1.root.json")
# Warm the TUF cache once, so the runs measure the installer, the sandbox and staging.
"${tuf[@]}" --cache-dir "$work/tuf" --python "$py" q0 -- --target "$work/warm" >/dev/null 2>&1
echo "== $projects independent projects, $runs runs each"
for installer in uv pip; do
  for sandbox in off network auto; do
    measure "$installer --target, --sandbox $sandbox" "${tuf[@]}" --cache-dir "$work/tuf" --installer "$installer" --uv "$uv" --python "$py" --sandbox "$sandbox" "${reqs[@]}" -- --target "$work/t-$installer-$sandbox-{i}"
  done
  for sandbox in off network auto; do
    for i in $(seq 0 $((runs - 1))); do cp -a "$work/venv-base" "$work/v-$installer-$sandbox-$i"; done
    measure "$installer into a venv, --sandbox $sandbox" "${tuf[@]}" --cache-dir "$work/tuf" --installer "$installer" --uv "$uv" --python "$work/v-$installer-$sandbox-{i}/bin/python" --sandbox "$sandbox" "${reqs[@]}"
  done
done
