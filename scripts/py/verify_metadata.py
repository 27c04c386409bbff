"""Checks, with python-tuf, metadata that this project wrote.

Usage: verify_metadata.py DIR

DIR holds root.json, timestamp.json, snapshot.json, targets.json, zero or more delegated
role files <name>.json, and for every file F a F.canonical (the canonical bytes of `signed`
as we computed them) and F.compact (our compact serialization). For each file this checks,
with python-tuf 7.0.1 and securesystemslib:
  * it loads with Metadata.from_bytes (strict python-tuf parsing);
  * python's canonical form of `signed` equals ours byte for byte;
  * python's compact JSONSerializer output equals ours byte for byte;
  * every keyid listed equals the sha256 of the key's canonical JSON;
  * signatures verify: root by itself, the top-level roles by root, delegated roles by
    their delegator (named roles and succinct hash bins).
Prints one line per check and exits non-zero on the first failure.
"""

import hashlib
import os
import sys

from securesystemslib.formats import encode_canonical
from tuf.api.metadata import Metadata, Root, Targets
from tuf.api.serialization.json import CanonicalJSONSerializer, JSONSerializer


def verify(delegator, role, md):
    """Raises unless `md` is signed by a threshold of `delegator`'s keys for `role`."""
    delegator.verify_delegate(role, md.signed_bytes, md.signatures)


def main(directory: str) -> int:
    loaded = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json"):
            continue
        path = os.path.join(directory, name)
        with open(path, "rb") as f:
            data = f.read()
        md = Metadata.from_bytes(data)
        role = name[: -len(".json")]
        loaded[role] = md
        with open(path + ".canonical", "rb") as f:
            ours = f.read()
        theirs = CanonicalJSONSerializer().serialize(md.signed)
        assert theirs == ours, f"{name}: canonical forms differ"
        with open(path + ".compact", "rb") as f:
            ours_compact = f.read()
        theirs_compact = JSONSerializer(compact=True).serialize(md)
        assert theirs_compact == ours_compact, f"{name}: compact serializations differ"
        print(f"ok parse+canonical+compact {name}")

    def check_keyids(keys, where):
        for keyid, key in keys.items():
            digest = hashlib.sha256(encode_canonical(key.to_dict()).encode()).hexdigest()
            assert digest == keyid, f"{where}: keyid {keyid} != {digest}"
            print(f"ok keyid {where} {keyid[:16]}")

    root = loaded["root"].signed
    assert isinstance(root, Root)
    check_keyids(root.keys, "root")
    verify(root, "root", loaded["root"])
    print("ok verify root by root")
    for role in ("timestamp", "snapshot", "targets"):
        verify(root, role, loaded[role])
        print(f"ok verify {role} by root")

    # Walk delegations from targets: every delegated role file present must verify.
    pending = ["targets"]
    seen = set()
    while pending:
        delegator = pending.pop()
        if delegator in seen:
            continue
        seen.add(delegator)
        signed = loaded[delegator].signed
        assert isinstance(signed, Targets)
        if signed.delegations is None:
            continue
        check_keyids(signed.delegations.keys, delegator)
        names = []
        if signed.delegations.roles is not None:
            names = list(signed.delegations.roles)
        elif signed.delegations.succinct_roles is not None:
            names = [n for n in signed.delegations.succinct_roles.get_roles() if n in loaded]
        for child in names:
            if child not in loaded:
                continue
            verify(signed, child, loaded[child])
            print(f"ok verify {child} by {delegator}")
            pending.append(child)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
