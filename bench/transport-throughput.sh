#!/usr/bin/env bash
# Loopback HTTP download throughput of a large file (default 256 MiB) through tuf-transport,
# against the file transport and a plain disk read, with peak memory of each phase.
# Usage: bench/transport-throughput.sh [MIB]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q -j2 --release -p tuf-transport --example throughput -- "${1:-256}"
