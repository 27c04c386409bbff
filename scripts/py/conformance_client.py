"""A client for the public TUF conformance protocol on python-tuf's ngclient, so that the
attack-scenario suite (`tuf-cli conformance run --client ...`) can grade python-tuf beside
this project's client. Run it with the project's virtual environment (tuf==7.0.1):

    python conformance_client.py --metadata-dir DIR init TRUSTED_ROOT
    python conformance_client.py --metadata-dir DIR --metadata-url URL refresh
    python conformance_client.py --metadata-dir DIR --metadata-url URL --target-name PATH \
        --target-base-url URL --target-dir DIR download

Exit status 0 on success, 1 on any failure (whatever the exception).
"""

import argparse
import os
import shutil
import sys

from tuf.ngclient import Updater


def parse(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--metadata-dir", required=True)
    p.add_argument("--metadata-url")
    p.add_argument("--target-name", action="append", default=[])
    p.add_argument("--target-base-url")
    p.add_argument("--target-dir")
    p.add_argument("-v", "--verbose", action="count", default=0)
    p.add_argument("command", choices=["init", "refresh", "download"])
    p.add_argument("trusted_root", nargs="?")
    return p.parse_args(argv)


def main(argv) -> int:
    a = parse(argv)
    if a.command == "init":
        if not a.trusted_root:
            return 1
        os.makedirs(a.metadata_dir, exist_ok=True)
        shutil.copyfile(a.trusted_root, os.path.join(a.metadata_dir, "root.json"))
        return 0
    updater = Updater(
        metadata_dir=a.metadata_dir,
        metadata_base_url=a.metadata_url,
        target_dir=a.target_dir,
        target_base_url=a.target_base_url,
        bootstrap=None,  # trust the root.json that init stored
    )
    updater.refresh()
    if a.command == "download":
        for name in a.target_name:
            info = updater.get_targetinfo(name)
            if info is None:
                print(f"{name}: not found", file=sys.stderr)
                return 1
            if updater.find_cached_target(info) is None:
                updater.download_target(info)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SystemExit as e:
        # argparse exits with 2 on bad arguments: the protocol knows only 0 and 1.
        sys.exit(0 if e.code in (0, None) else 1)
    except BaseException as e:  # noqa: BLE001 - every failure is a refusal here
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
