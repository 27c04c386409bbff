#!/usr/bin/env bash
# Real-package stress test (a script, not CI; it needs PyPI): picks K projects with a fixed
# seed from ../shared/data/pypi-top-1000.txt, fetches them and their dependencies with the
# ordinary `pip download` (wheels only, so both installs below need no build step; projects
# without a wheel for this Python are reported as skipped, as are distributions over 50 MB),
# makes the tree a TUF-secured mirror with `tuf-cli repo`, serves it on 127.0.0.1, then installs
# each project into a fresh virtual environment twice: directly from the tree (`pip install
# --no-index --find-links`) and through `tuf-cli install`. Prints both failure counts and every
# failure that happens only through TUF, with pip's last lines.
# Usage: bench/stress-real.sh [K] [SEED] [JOBS]   (results in target/bench-work/stress-<seed>-<k>/)
set -euo pipefail
cd "$(dirname "$0")/.."
k=${1:-100}
seed=${2:-2013}
jobs=${3:-2}
names_file=${NAMES_FILE:-../shared/data/pypi-top-1000.txt}
cargo build -q -j2 --release -p tuf-cli
cli=$PWD/target/release/tuf-cli
work=$PWD/target/bench-work/stress-$seed-$k
rm -rf "$work"
mkdir -p "$work"/{logs,dists,venvs}
python3 - "$names_file" "$k" "$seed" > "$work/picks.txt" <<'PY'
import random, sys
names = [l.strip() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
for n in random.Random(int(sys.argv[3])).sample(names, int(sys.argv[2])):
    print(n)
PY
echo "== $k projects picked with seed $seed; pip download (wheels only)"
python3 -m venv "$work/dl-venv"
"$work/dl-venv/bin/pip" install -q --disable-pip-version-check --upgrade pip
: > "$work/downloaded.txt"; : > "$work/skipped.txt"
while read -r name; do
  if "$work/dl-venv/bin/pip" download -q --disable-pip-version-check --only-binary=:all: \
       --dest "$work/dists" "$name" > "$work/logs/download-$name.log" 2>&1; then
    echo "$name" >> "$work/downloaded.txt"
  else
    echo "$name: no wheel for this Python/platform or a dependency without one ($(tail -n 1 "$work/logs/download-$name.log"))" >> "$work/skipped.txt"
  fi
done < "$work/picks.txt"
find "$work/dists" -type f -size +50M -printf '%f\n' > "$work/too-big.txt"
find "$work/dists" -type f -size +50M -delete
echo "downloaded: $(wc -l < "$work/downloaded.txt"), skipped: $(wc -l < "$work/skipped.txt"), files over 50 MB removed: $(wc -l < "$work/too-big.txt") ($(tr '\n' ' ' < "$work/too-big.txt"))"
echo "== TUF-secured mirror of $(ls "$work/dists" | wc -l) files"
"$cli" repo --repo "$work/repo" init --bins 256 > /dev/null
"$cli" repo --repo "$work/repo" add-dists "$work/dists" | tail -n 1
"$cli" repo --repo "$work/repo" serve --addr 127.0.0.1:0 > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
sleep 1
mirror=$(grep -o 'http://[^ ]*/metadata/' "$work/serve.log" | head -n 1)
mirror=${mirror%metadata/}
export work cli mirror
one() { # NAME: both installs into fresh virtual environments; prints "NAME direct tuf"
  local name=$1 d t
  python3 -m venv "$work/venvs/$name-direct"
  if "$work/venvs/$name-direct/bin/pip" install -q --disable-pip-version-check --no-index \
       --find-links "$work/dists" --only-binary=:all: "$name" > "$work/logs/direct-$name.log" 2>&1; then d=ok; else d=FAIL; fi
  python3 -m venv "$work/venvs/$name-tuf"
  if "$cli" install --mirror "$mirror" --root "$work/repo/metadata/1.root.json" \
       --cache-dir "$work/cache-$name" --python "$work/venvs/$name-tuf/bin/python" "$name" \
       -- --only-binary=:all: > "$work/logs/tuf-$name.log" 2>&1; then t=ok; else t=FAIL; fi
  rm -rf "$work/venvs/$name-direct" "$work/venvs/$name-tuf"
  echo "$name $d $t"
}
export -f one
echo "== installing each project twice ($jobs at a time)"
started=$(date +%s)
xargs -P "$jobs" -I{} bash -c 'one "$@"' _ {} < "$work/downloaded.txt" | sort > "$work/results.txt"
n=$(wc -l < "$work/results.txt")
direct_fail=$(awk '$2 == "FAIL"' "$work/results.txt" | wc -l)
tuf_fail=$(awk '$3 == "FAIL"' "$work/results.txt" | wc -l)
echo "installed $n projects in $(( $(date +%s) - started )) s: direct failures $direct_fail, through TUF failures $tuf_fail"
awk '$2 == "FAIL" || $3 == "FAIL"' "$work/results.txt" | while read -r name d t; do
  echo "-- $name: direct $d, through TUF $t"
  [ "$t" = FAIL ] && tail -n 3 "$work/logs/tuf-$name.log" | sed 's/^/   tuf: /'
  [ "$d" = FAIL ] && tail -n 3 "$work/logs/direct-$name.log" | sed 's/^/   direct: /'
done
echo "only through TUF: $(awk '$2 == "ok" && $3 == "FAIL"' "$work/results.txt" | wc -l)"
