"""Writes a PyPI-shaped tree: for each of N projects a simple page and one distribution.

Usage: make_tree.py DIR N
"""

import os
import sys


def main(root: str, n: int) -> None:
    for i in range(n):
        name = f"project-{i:06d}"
        shard = f"{i % 256:02x}/{(i // 256) % 256:02x}"
        dist = f"packages/{shard}/{name}-1.0.tar.gz"
        simple = f"simple/{name}/index.html"
        os.makedirs(os.path.join(root, os.path.dirname(dist)), exist_ok=True)
        os.makedirs(os.path.join(root, os.path.dirname(simple)), exist_ok=True)
        with open(os.path.join(root, dist), "wb") as f:
            f.write(f"distribution of {name}\n".encode() * 4)
        with open(os.path.join(root, simple), "w") as f:
            f.write(f'<html><body><a href="../../{dist}">{name}-1.0.tar.gz</a></body></html>\n')


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
