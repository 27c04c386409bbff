#!/usr/bin/env bash
# Installs (once) the system tools the installer tests use: bubblewrap, the sandbox of
# `tuf-cli install` (Debian package `bubblewrap`). Needs root and apt-get; elsewhere it says
# what is missing, and the sandbox tests say "skipped" instead of failing.
set -euo pipefail
if command -v bwrap >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing bubblewrap" >&2
  if ! apt-get install -y -qq bubblewrap >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    apt-get install -y -qq bubblewrap >/dev/null
  fi
else
  echo "system-deps: bubblewrap (bwrap) is not installed and cannot be installed here (needs root and apt-get): the bubblewrap sandbox tests are skipped" >&2
fi
