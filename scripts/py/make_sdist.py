"""Writes a tiny sdist built by a PEP 517 backend that must be installed from the index, and
that backend as a wheel.

Usage:
  make_sdist.py backend OUT_DIR [--marker FILE] -> OUT_DIR/tinybackend-1.0-py3-none-any.whl
  make_sdist.py sdist OUT_DIR NAME VERSION [--connect HOST:PORT | --escape SCRIPT.py |
                                            --build-requires REQ]
                                          -> OUT_DIR/NAME-VERSION.tar.gz

The backend (`tinybackend.impl`) builds a pure-Python wheel from the sdist's PKG-INFO and
package directory. An sdist made with --connect holds `connect.txt`: its build opens a TCP
connection to HOST:PORT first (as malicious build code fetching something would) and fails
if it cannot. One made with --escape holds SCRIPT.py as `escape.py`, which its build runs
first (whatever it does, the build goes on). --build-requires replaces the build requirement
(`tinybackend`), e.g. with a direct `file:` URL; a backend made with --marker appends a line
to FILE when it is imported.
"""

import io
import os
import re
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_wheel import write_wheel  # noqa: E402

BACKEND = r'''
import base64, hashlib, os, re, socket, zipfile


def _pkg_info():
    text = open("PKG-INFO", encoding="utf-8").read()
    fields = dict(l.split(": ", 1) for l in text.splitlines() if ": " in l)
    return text, fields["Name"], fields["Version"]


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    if os.path.exists("escape.py"):
        # Arbitrary build code, as a malicious sdist would run: it goes on either way.
        exec(open("escape.py").read(), {})
    if os.path.exists("connect.txt"):
        host, port = open("connect.txt").read().strip().rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(b"escaped from the build backend\n")
        s.close()
    text, name, version = _pkg_info()
    dist = re.sub(r"[-_.]+", "_", name)
    pkg = dist.lower()
    info = f"{dist}-{version}.dist-info"
    files = {}
    for root, _, names in os.walk(pkg):
        for n in names:
            p = os.path.join(root, n)
            files[p.replace(os.sep, "/")] = open(p, "rb").read()
    files[f"{info}/METADATA"] = text.encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: tinybackend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for p, data in files.items():
        d = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{p},sha256={d},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as z:
        for p, data in files.items():
            z.writestr(p, data)
    return wheel
'''


def write_sdist(out, name, version, connect, escape=None, build_requires="tinybackend"):
    pkg = re.sub(r"[-_.]+", "_", name).lower()
    top = f"{name}-{version}"
    files = {
        "pyproject.toml": f'[build-system]\nrequires = ["{build_requires}"]\nbuild-backend = "tinybackend.impl"\n',
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{pkg}/__init__.py": f"__version__ = {version!r}\n",
    }
    if connect:
        files["connect.txt"] = connect + "\n"
    if escape:
        files["escape.py"] = open(escape).read()
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"{top}.tar.gz")
    with tarfile.open(path, "w:gz") as t:
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size = len(data)
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))
    return path


def main(argv):
    if argv[0] == "backend":
        impl = BACKEND
        if len(argv) > 2 and argv[2] == "--marker":
            # An impostor: the same backend, but importing it leaves a trace.
            impl = f"open({argv[3]!r}, 'a').write('the unverified backend ran\\n')\n" + BACKEND
        print(write_wheel(argv[1], "tinybackend", "1.0", {
            "tinybackend/__init__.py": "",
            "tinybackend/impl.py": impl,
        }))
    elif argv[0] == "sdist":
        connect = escape = None
        build_requires = "tinybackend"
        if len(argv) > 4 and argv[4] == "--connect":
            connect = argv[5]
        if len(argv) > 4 and argv[4] == "--escape":
            escape = argv[5]
        if len(argv) > 4 and argv[4] == "--build-requires":
            build_requires = argv[5]
        print(write_sdist(argv[1], argv[2], argv[3], connect, escape, build_requires))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
