"""python-tuf's ngclient doing what `tuf-conformance-client ... download` does: refresh, look
up one target, download it.

Usage: ngclient_download.py METADATA_DIR METADATA_URL TARGET_URL TARGET_DIR TARGET_NAME
"""

import sys

from tuf.ngclient import Updater


def main(md, metadata_url, target_url, td, name):
    # bootstrap=None: start from the root.json already in the metadata directory.
    updater = Updater(md, metadata_url, td, target_url, bootstrap=None)
    updater.refresh()
    info = updater.get_targetinfo(name)
    if info is None:
        raise SystemExit(f"no target {name}")
    updater.download_target(info)


if __name__ == "__main__":
    main(*sys.argv[1:])
