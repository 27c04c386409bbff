#!/usr/bin/env bash
# Type-checks the whole workspace, tests included, for Windows (x86_64-pc-windows-gnu), which
# this Linux machine can cross-check: the Rust standard library for that target comes from
# rustup and the MinGW C compiler (ring's build script needs one) from apt. Says "skipped"
# and exits 0 where either cannot be installed (no network), so it never fails a run for a
# reason outside the code. macOS cannot be cross-checked here: ring's C code needs Apple's SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  if ! timeout 300 rustup target add "$target" >/dev/null 2>&1; then
    echo "check-platforms: skipped: cannot install the $target standard library"
    exit 0
  fi
fi
if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
  if ! { command -v apt-get >/dev/null \
      && { timeout 300 apt-get install -y -qq gcc-mingw-w64-x86-64 >/dev/null 2>&1 \
        || { timeout 300 apt-get update -qq >/dev/null 2>&1 \
          && timeout 300 apt-get install -y -qq gcc-mingw-w64-x86-64 >/dev/null 2>&1; }; }; }; then
    echo "check-platforms: skipped: cannot install the MinGW C compiler"
    exit 0
  fi
fi
RUSTFLAGS="-D warnings" cargo check -q -j2 --workspace --all-targets --target "$target"
echo "check-platforms: $target: the workspace and its tests type-check"
