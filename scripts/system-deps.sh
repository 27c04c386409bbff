#!/usr/bin/env bash
# Installs (once) the system tools the tests use: bubblewrap, the sandbox of `tuf-cli install`
# (Debian package `bubblewrap`), and nginx, the static server a mirror is tested behind
# (Debian package `nginx-light`). Needs root and apt-get; elsewhere it says what is missing,
# and the tests that need it say "skipped" instead of failing.
set -euo pipefail
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} = 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]}" >&2
  if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
else
  echo "system-deps: ${missing[*]} not installed and cannot be installed here (needs root and apt-get): the tests that need them are skipped" >&2
fi
