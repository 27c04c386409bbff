"""Draws the seed's overhead table next to ours as a PNG: metadata bytes per install for a new
user, a new release, an old release and a cached bin (log scale).

Usage: overhead_chart.py CSV OUT.png
CSV columns: series,new user,new release,old release,cached bin  (bytes)
"""

import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(src: str, out: str) -> None:
    with open(src) as f:
        rows = list(csv.reader(f))
    cases, series = rows[0][1:], rows[1:]
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    for i, row in enumerate(series):
        values = [float(v) for v in row[1:]]
        xs = [c + (i - (len(series) - 1) / 2) * width for c in range(len(cases))]
        bars = ax.bar(xs, values, width, label=row[0])
        for x, v in zip(xs, values):
            label = f"{v / 1000:.1f} KB" if v >= 1000 else f"{v:.0f} B"
            ax.text(x, v * 1.08, label, ha="center", va="bottom", fontsize=7, rotation=90)
        del bars
    ax.set_yscale("log")
    ax.set_ylim(100, 1_000_000)
    ax.set_xticks(range(len(cases)), cases)
    ax.set_ylabel("metadata bytes per install (log scale)")
    ax.set_title("TUF metadata overhead per install: the 2013 seed vs tuf-rs (gzip on the wire)")
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(axis="y", which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
