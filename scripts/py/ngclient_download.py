"""Refreshes with python-tuf's ngclient from a repository this project wrote, then downloads
targets (through whatever delegations lead to them) and prints "<sha256> <target>" for each.

Usage: ngclient_download.py ROOT_FILE METADATA_URL TARGETS_URL WORK_DIR TARGET...
With PREFIX_TARGETS_WITH_HASH=0 in the environment, ngclient's documented setting
UpdaterConfig.prefix_targets_with_hash is False (targets fetched at their own path).
Exits non-zero if the refresh or any download fails.
"""

import hashlib
import os
import shutil
import sys

from tuf.ngclient import Updater, UpdaterConfig


def main(root_file, metadata_url, targets_url, work, *targets):
    mdir = os.path.join(work, "metadata")
    tdir = os.path.join(work, "targets")
    os.makedirs(mdir, exist_ok=True)
    os.makedirs(tdir, exist_ok=True)
    shutil.copyfile(root_file, os.path.join(mdir, "root.json"))
    prefixed = os.environ.get("PREFIX_TARGETS_WITH_HASH", "1") != "0"
    config = UpdaterConfig(prefix_targets_with_hash=prefixed)
    updater = Updater(mdir, metadata_url, tdir, targets_url, config=config, bootstrap=None)
    updater.refresh()
    for target in targets:
        info = updater.get_targetinfo(target)
        if info is None:
            raise SystemExit(f"{target}: not found")
        path = updater.download_target(info)
        with open(path, "rb") as f:
            print(hashlib.sha256(f.read()).hexdigest(), target)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
