"""Checks that this project's JSON writers agree with Python's byte for byte.

Usage: check_json_forms.py FILE

FILE is a JSON array of objects {"compact": HEX, "pretty": HEX, "canonical": HEX}, each the
hex of one value as our compact writer, pretty writer and canonical writer produced it. For
each, the value is read with json.loads and written again by Python:
  * securesystemslib's encode_canonical must equal our canonical bytes;
  * json.dumps(sort_keys=True, separators=(",", ":")) must equal our compact bytes;
  * json.dumps(sort_keys=True, indent=1) must equal our pretty bytes
(the two layouts python-tuf's JSONSerializer uses). Exits non-zero on the first mismatch.
"""

import json
import sys

from securesystemslib.formats import encode_canonical


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        items = json.load(f)
    for i, item in enumerate(items):
        compact = bytes.fromhex(item["compact"])
        pretty = bytes.fromhex(item["pretty"])
        canonical = bytes.fromhex(item["canonical"])
        value = json.loads(compact)
        assert json.loads(pretty) == value, f"{i}: pretty reads differently"
        ours = encode_canonical(value).encode("utf-8")
        assert ours == canonical, f"{i}: canonical {ours!r} != {canonical!r}"
        c = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        assert c == compact, f"{i}: compact {c!r} != {compact!r}"
        p = json.dumps(value, sort_keys=True, indent=1, separators=(",", ": ")).encode()
        assert p == pretty, f"{i}: pretty {p!r} != {pretty!r}"
    print(f"ok {len(items)} values")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
