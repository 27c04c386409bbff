#!/usr/bin/env bash
# Parse + verify of PyPI-shaped metadata (a snapshot of 16,384 bins, a bin of 1,000 targets):
# this project against python-tuf 7.0.1, on the same files, in one run.
# Usage: bench/metadata-vs-python.sh [ITERATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-20}
py=$(./scripts/python-env.sh | tail -n 1)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cargo run -q -j2 --release -p tuf-metadata --example bench_vs_python -- "$dir" "$iterations"
"$py" - "$dir" "$iterations" <<'PY'
import sys, time
from tuf.api.metadata import Metadata

d, n = sys.argv[1], int(sys.argv[2])
read = lambda name: open(f"{d}/{name}.json", "rb").read()
root = Metadata.from_bytes(read("root")).signed
bins = Metadata.from_bytes(read("bins")).signed
bin_name = open(f"{d}/bin-name").read()
snapshot, binfile = read("snapshot"), read(bin_name)

def bench(label, f):
    f()
    start = time.perf_counter()
    for _ in range(n):
        f()
    print(f"python-tuf {label} {(time.perf_counter() - start) * 1000 / n:.3f} ms")

def snap():
    md = Metadata.from_bytes(snapshot)
    root.verify_delegate("snapshot", md.signed_bytes, md.signatures)

def bin_():
    md = Metadata.from_bytes(binfile)
    bins.verify_delegate(bin_name, md.signed_bytes, md.signatures)

bench("snapshot-16384-bins parse+verify", snap)
bench("bin-1000-targets parse+verify", bin_)
PY
