#!/usr/bin/env bash
# The licence, ban and source policy of deny.toml, checked with cargo-deny (installed from
# crates.io into ~/.cargo/bin the first time). The advisory check is not run: it needs the
# RustSec database from GitHub, which CI cannot fetch. Says "skipped" and exits 0 when
# cargo-deny cannot be installed (no network), so it never fails a run for a reason outside
# the code.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo-deny >/dev/null 2>&1; then
  # A debug build: about half the build time of a release one, and the check still takes
  # seconds.
  if ! timeout 1500 cargo install --locked --debug -q cargo-deny >/dev/null 2>&1; then
    echo "deny: skipped: cannot install cargo-deny"
    exit 0
  fi
fi
cargo deny --locked check --hide-inclusion-graph licenses bans sources
