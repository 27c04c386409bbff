#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) one after another on one core, each
# for SECONDS (default 60), with the nightly toolchain; installs cargo-fuzz from crates.io when
# it is missing. Corpora live in fuzz/corpus/<target> (not in git), seeded the first time from
# the project's fixtures, and are kept between runs so that each run continues where the last
# stopped. A crash stops the run; its input is in fuzz/artifacts/<target>/ and becomes a test.
# Each target's final statistics (executions, coverage, CPU seconds) go to
# target/fuzz/<target>.log.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   FUZZ_SANITIZER=none: no AddressSanitizer (a faster build); FUZZ_PROFILE=dev: a debug build
#   (faster to build, slower to run, overflow checks on: what CI's 10-second runs use).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "fuzz: skipped: no nightly toolchain"
  exit 0
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
sanitizer=${FUZZ_SANITIZER:-address}
profile=-O
build_dir=release
if [ "${FUZZ_PROFILE:-release}" = dev ]; then
  profile=--dev
  build_dir=debug
fi
cd fuzz
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
mkdir -p ../target/fuzz
if ! cargo +nightly fuzz build "$profile" -s "$sanitizer" > ../target/fuzz-build.log 2>&1; then
  tail -n 40 ../target/fuzz-build.log
  exit 1
fi
seed() { # TARGET: the fixtures that fit it, the first time only
  local dir=corpus/$1
  [ -d "$dir" ] && return 0
  mkdir -p "$dir"
  case $1 in
    json_canonical|metadata_from_bytes)
      find ../tuf-metadata/tests/data -name '*.json' -size -64k -exec cp {} "$dir/" \; 2>/dev/null || true ;;
    page_links)
      printf '<a href="../../packages/a-1.0.whl#sha256=%064d" data-core-metadata="sha256=%064d">a</a>\n' 0 1 > "$dir/seed.html" ;;
    request_mapping)
      printf '/simple/Friendly.Bard/' > "$dir/seed1"; printf 'files.pythonhosted.org\n/packages/ab/x-1.0.tar.gz' > "$dir/seed2"
      printf '\006files.pythonhosted.org:443\n/packages/ab/x-1.0.tar.gz' > "$dir/seed3" # CONNECT
      printf '\010http://PyPI.org/_host/files.pythonhosted.org/packages/ab/x.whl' > "$dir/seed4" ;;
    requirements)
      printf 'requests[socks]>=2.32 ; python_version > "3.8"\n-c c.txt\n--hash=sha256:%064d\n' 0 > "$dir/seed" ;;
    trusted_set) # timestamp, snapshot, targets, a, b, t, u, a1: each genuine
      printf '\000\000\000\000\001\000\000\000\002\000\000\000\003\000\000\000\004\000\000\000\005\000\000\000\006\000\000\000\007\000\000\000' > "$dir/seed" ;;
    keys_signatures)
      printf '\000\100\020\041\000\037\002\000%064d' 0 > "$dir/seed" ;;
    delegation_paths)
      printf '\010packages/ab/x-1.0.tar.gz\npackages/[a-c]?/*.tar.gz' > "$dir/seed" ;;
    gzip_limits)
      printf '\377\377\001{"signed": {"_type": "timestamp"}}' > "$dir/seed" ;;
    page_rewriting) # the first byte: even for HTML, odd for PEP 691 JSON
      printf '\000<base href="../"><a href="https://files.pythonhosted.org/packages/ab/x-1.0.tar.gz#sha256=%064d" data-requires-python="&gt;=3">x</a><a href="/&#9;/evil">' 0 > "$dir/seed"
      printf '\001{"files": [{"url": "https:\\/\\/files.pythonhosted.org/packages/ab/x.whl", "provenance": "//pypi.org/p"}]}' > "$dir/seed2" ;;
    download_limits) # 50-byte limit, 1 s in all, 100 B/s over 200 ms windows; 3 bytes after 5 ms, twice
      printf '\062\000\012\144\000\012\000\005\003abc\005\003def' > "$dir/seed" ;;
    trusted_set_resigned) # root 2, timestamp, snapshot, targets, a: each as the repository signs it
      printf '\000\000\001\000\001\000\001\000\000\000\001\000\002\000\000\000\001\000\003\000\000\000\001\000\004\000\000\000\001\000' > "$dir/seed" ;;
    wheel_metadata) # the first byte: even for core metadata, odd for a wheel's bytes
      printf '\000Metadata-Version: 2.1\nName: a\nRequires-Dist: b @ https://e/b.whl ; python_version > "3"\n' > "$dir/seed" ;;
    bandersnatch_listing)
      printf 'simple/a/index.v1_json\n{"files": [{"url": "../../packages/ab/a-1.0.tar.gz", "size": 3, "hashes": {"sha256": "%064d"}}]}' 0 > "$dir/seed" ;;
    *) ;;
  esac
}
for t in "${targets[@]}"; do
  seed "$t"
  echo "== fuzz $t (${secs}s)"
  dict=()
  case $t in
    json_canonical|metadata_from_bytes|trusted_set|bandersnatch_listing) dict=(-dict=dicts/tuf.dict) ;;
  esac
  # The binary cargo fuzz built, run as it would run it (one process: one core), timed: the
  # CPU seconds it used (user + system) are what the campaign counts, not the wall time.
  mkdir -p "artifacts/$t"
  status=0
  TIMEFORMAT='%U %S'
  { time "target/x86_64-unknown-linux-gnu/$build_dir/$t" -artifact_prefix="artifacts/$t/" \
    -max_total_time="$secs" -print_final_stats=1 "${dict[@]}" "corpus/$t" \
    > "../target/fuzz/$t.log" 2>&1 || status=$?; } 2> "../target/fuzz/$t.time"
  read -r user sys < "../target/fuzz/$t.time"
  echo "cpu_seconds: $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", u + s }')" >> "../target/fuzz/$t.log"
  [ "$status" -eq 0 ] || { tail -n 40 "../target/fuzz/$t.log"; exit 1; }
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+[[:space:]]*DONE|^cpu_seconds' "../target/fuzz/$t.log" | tr '\n' ' '
  echo
done
