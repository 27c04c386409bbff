#!/usr/bin/env bash
# Installs (once) s3s-fs, an S3-compatible server that keeps objects in a directory (the s3s
# project, built from crates.io: `cargo install s3s-fs`), the object storage the bucket tests
# publish to and install from; prints the path of its binary.
set -euo pipefail
tools=${TUF_TOOLS_DIR:-$HOME/.cache/tuf-rs/tools}
bin=$tools/bin/s3s-fs
if [ ! -x "$bin" ]; then
  echo "s3s-fs: building s3s-fs 0.14.1 from crates.io into $tools (once; a few minutes)" >&2
  # 0.14.1: the newest release this machine's Rust (1.95) builds.
  # A debug build: the tests send it a few small objects, and it builds in half the time.
  cargo install --quiet --locked --debug s3s-fs@0.14.1 --features binary --root "$tools" -j2 >&2
fi
echo "$bin"
