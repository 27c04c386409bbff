"""Builds the same PEP 458 repository as `tuf-cli repo init` + `repo sync` with python-tuf's
Metadata API (tuf 7.0.1), for comparison: hash every file of the tree, publish it under its
consistent-snapshot name (a copy), targets -> bins -> succinct hash bins, sign everything
with Ed25519, write compact JSON. (Our writer also writes a gzip copy of every metadata file
and checks every signature it makes against the policy before writing.)

Usage: build_repo_python.py TREE OUT BINS
Prints the elapsed seconds.
"""

import hashlib
import os
import sys
import time
from datetime import datetime, timedelta, timezone

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    SuccinctRoles,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer


def main(tree: str, out: str, bins: int) -> None:
    start = time.perf_counter()
    os.makedirs(os.path.join(out, "metadata"), exist_ok=True)
    ser = JSONSerializer(compact=True)
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
    signer = {r: CryptoSigner.generate_ed25519() for r in ("root", "targets", "bins", "online")}
    root = Root(expires=expires)
    for role, key in (("root", "root"), ("targets", "targets"), ("snapshot", "online"), ("timestamp", "online")):
        root.add_key(signer[key].public_key, role)
    bit_length = bins.bit_length() - 1
    succinct = SuccinctRoles([signer["online"].public_key.keyid], 1, bit_length, "bin")
    bins_role = Targets(expires=expires)
    bins_role.delegations = Delegations(keys={signer["online"].public_key.keyid: signer["online"].public_key}, succinct_roles=succinct)
    targets = Targets(expires=expires)
    prefixes = [f"{d:x}" for d in range(16)]
    targets.delegations = Delegations(
        keys={signer["bins"].public_key.keyid: signer["bins"].public_key},
        roles={"bins": DelegatedRole("bins", [signer["bins"].public_key.keyid], 1, True, path_hash_prefixes=prefixes)},
    )
    bin_roles = {name: Targets(expires=expires) for name in succinct.get_roles()}
    for dirpath, _, files in os.walk(tree):
        for fname in files:
            full = os.path.join(dirpath, fname)
            path = os.path.relpath(full, tree)
            with open(full, "rb") as f:
                data = f.read()
            digest = hashlib.sha256(data).hexdigest()
            tf = TargetFile(len(data), {"sha256": digest}, path)
            bin_roles[succinct.get_role_for_target(path)].targets[path] = tf
            # Publish a copy of the target under its consistent-snapshot name, as our writer does.
            d, _, name = path.rpartition("/")
            dest = os.path.join(out, "targets", d, f"{digest}.{name}")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(data)
    snapshot = Snapshot(expires=expires)

    def write(md, name, key):
        md.sign(signer[key])
        data = md.to_bytes(ser)
        with open(os.path.join(out, "metadata", name), "wb") as f:
            f.write(data)
        return data

    for name, role in bin_roles.items():
        write(Metadata(role), f"1.{name}.json", "online")
        snapshot.meta[f"{name}.json"] = MetaFile(1)
    write(Metadata(bins_role), "1.bins.json", "bins")
    write(Metadata(targets), "1.targets.json", "targets")
    snapshot.meta["bins.json"] = MetaFile(1)
    write(Metadata(root), "1.root.json", "root")
    snap = write(Metadata(snapshot), "1.snapshot.json", "online")
    ts = Timestamp(expires=expires, snapshot_meta=MetaFile(1, len(snap), {"sha256": hashlib.sha256(snap).hexdigest()}))
    write(Metadata(ts), "timestamp.json", "online")
    print(f"{time.perf_counter() - start:.3f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
