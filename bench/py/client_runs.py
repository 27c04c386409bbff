"""Times whole client processes on one TUF repository: cold, warm and after one new release.

Usage: client_runs.py WORK RUNS LABEL=COMMAND_TEMPLATE...

WORK holds `seed-cold/`, `seed-warm/` and `seed-update/` (metadata directories to start from,
each with `root.json`). For each path and each client, every run copies the seed into a fresh
directory, then starts the client (a fresh process, under GNU time) and waits for it: the time
from spawn to exit and the process's peak RSS. The copy happens before the clock starts, so the
harness's own cost is the spawn, GNU time and the reaping, measured by `/bin/true` in the same
run and taken off every client's median. Runs of the clients are interleaved, so load affects them
alike. COMMAND_TEMPLATE is split on spaces; {md} and {td} become the run's metadata and target
directories.
"""

import os
import shutil
import statistics
import sys
import tempfile
import time


def once(argv, rss_file):
    # Started by GNU time (a small C program): the peak RSS it reports is the client's own, not
    # that of this Python process (whose memory a spawned child's would include until exec).
    argv = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}")
    with open(rss_file) as f:
        return elapsed * 1000, int(f.read().split()[-1]) / 1024


def main(work, runs, specs):
    clients = [("harness", "/bin/true")] + [tuple(s.split("=", 1)) for s in specs]
    print(f"{'path':8} {'client':12} {'median ms':>10} {'net ms':>8} {'peak RSS MiB':>13} {'ratio':>6}")
    for path in ("cold", "warm", "update"):
        times = {c: [] for c, _ in clients}
        rss = {c: [] for c, _ in clients}
        for _ in range(runs):
            for label, template in clients:
                run = tempfile.mkdtemp(dir=work, prefix="run-")
                md, td = os.path.join(run, "md"), os.path.join(run, "td")
                shutil.copytree(os.path.join(work, f"seed-{path}"), md)
                os.mkdir(td)
                argv = [a.format(md=md, td=td) for a in template.split(" ")]
                ms, mib = once(argv, os.path.join(run, "rss"))
                times[label].append(ms)
                rss[label].append(mib)
                shutil.rmtree(run)
        harness = statistics.median(times["harness"])
        net = {c: statistics.median(times[c]) - harness for c, _ in clients}
        base = net[clients[1][0]]
        for label, _ in clients:
            med = statistics.median(times[label])
            ratio = f"{base / net[label]:.1f}x" if label != "harness" and net[label] > 0 else ""
            print(f"{path:8} {label:12} {med:10.1f} {net[label]:8.1f} {max(rss[label]):13.1f} {ratio:>6}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
