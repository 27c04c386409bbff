#!/usr/bin/env bash
# The verifying proxy under load: 64 installer-like clients at once (tuf-cli/tests/proxy.rs),
# in release mode; prints requests/s, MiB/s and the peak memory of the process.
set -euo pipefail
cd "$(dirname "$0")/.."
for run in 1 2 3; do
  cargo test -q -j2 --release -p tuf-cli --test proxy sixty_four -- --nocapture 2>&1 | grep '^proxy load'
done
