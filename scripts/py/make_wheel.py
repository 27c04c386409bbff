"""Writes a tiny pure-Python wheel (a zip: the package, METADATA, WHEEL, RECORD).

Usage: make_wheel.py OUT_DIR DIST_NAME VERSION [--requires NAME]... [--file RELPATH=TEXT]...
                     [--raw PATH=TEXT]...
The importable package is the normalized name with `-` and `.` as `_`; --file puts a file in
it, --raw at the wheel's root (`NAME-VERSION.dist-info/entry_points.txt`,
`NAME-VERSION.data/scripts/tool`). `\n` in TEXT is a line break.
"""

import base64
import hashlib
import os
import re
import sys
import zipfile


def main(argv):
    out, name, version = argv[:3]
    requires, files, raw = [], {}, {}
    rest = argv[3:]
    while rest:
        flag, value = rest[0], rest[1]
        rest = rest[2:]
        if flag == "--requires":
            requires.append(value)
        elif flag == "--file":
            path, _, text = value.partition("=")
            files[path] = text
        elif flag == "--raw":
            path, _, text = value.partition("=")
            raw[path] = text.replace("\\n", "\n")
    pkg = re.sub(r"[-_.]+", "_", name).lower()
    contents = {f"{pkg}/__init__.py": f"__version__ = {version!r}\n"}
    for path, text in files.items():
        contents[f"{pkg}/{path}"] = text
    contents.update(raw)
    print(write_wheel(out, name, version, contents, requires))


def write_wheel(out, name, version, contents, requires=()):
    """Writes OUT/DIST-VERSION-py3-none-any.whl holding `contents` (path -> text) plus
    METADATA (with `requires` as Requires-Dist), WHEEL and RECORD; returns its path."""
    dist = re.sub(r"[-_.]+", "_", name)
    info = f"{dist}-{version}.dist-info"
    contents = dict(contents)
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    meta += [f"Requires-Dist: {r}" for r in requires]
    contents[f"{info}/METADATA"] = "\n".join(meta) + "\n"
    contents[f"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: tuf-rs-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for path, text in contents.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    contents[f"{info}/RECORD"] = "\n".join(record) + "\n"
    os.makedirs(out, exist_ok=True)
    wheel = os.path.join(out, f"{dist}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(wheel, "w") as z:
        for path, text in contents.items():
            z.writestr(path, text.encode())
    return wheel

if __name__ == "__main__":
    main(sys.argv[1:])
