#!/usr/bin/env bash
# pip and uv through `tuf-cli install` (TUF-verified, in the default sandbox) against the same
# installer reading the same files from nginx (a plain PEP 503 index, the Debian package,
# started here on 127.0.0.1); the TUF repository is served by the same nginx, with the shipped
# docs/nginx/tuf-locations.conf: PROJECTS independent small wheels into a fresh --target,
#   cold: every cache empty (tuf-cli: a new --cache-dir, so the TUF metadata too; the
#         installer: a new cache directory),
#   warm: the caches of an earlier run (tuf-cli: its --cache-dir, TUF metadata and the
#         installer's private cache in it; the installer: its cache directory).
# Median of RUNS runs each, runs of the two interleaved. Beside them, for uv cold, two floors:
# uv run by bubblewrap with the world's flags (network shared, no TUF) straight to nginx,
# what the sandbox alone costs; and tuf-cli's own phases before and after the installer
# (from one -vv run), which no installer speed-up can take away.
# Usage: bench/install-vs-nginx.sh [PROJECTS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-60}
runs=${2:-5}
./scripts/system-deps.sh   # nginx, and bubblewrap: tuf-cli install runs in its sandbox, as users get it
nginx=$(command -v nginx || echo /usr/sbin/nginx)
py=$(./scripts/python-env.sh | tail -n 1)
uv=$(dirname "$py")/uv
cargo build -q -j2 --release -p tuf-cli
cli=$PWD/target/release/tuf-cli
mkdir -p target/bench-work
work=$(mktemp -d "$PWD/target/bench-work/install-vs-nginx.XXXXXX")
# nginx's workers run as an unprivileged user when it is started as root: let them read.
chmod 755 "$work"
cleanup() { kill "${nginx_pid:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
reqs=()
for i in $(seq 0 $((projects - 1))); do
  "$py" scripts/py/make_wheel.py "$work/dists" "n$i" 1.0 >/dev/null
  reqs+=("n$i")
done
"$cli" repo --repo "$work/repo" init --bins 256 >/dev/null
"$cli" repo --repo "$work/repo" add-dists "$work/dists" >/dev/null
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
nport=$(free_port)
port=$(free_port)
mkdir -p "$work/nginx-tmp"
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx-tmp/body;
  proxy_temp_path $work/nginx-tmp/proxy;
  fastcgi_temp_path $work/nginx-tmp/fastcgi;
  uwsgi_temp_path $work/nginx-tmp/uwsgi;
  scgi_temp_path $work/nginx-tmp/scgi;
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  keepalive_timeout 65;
  server {
    listen 127.0.0.1:$nport;
    root $work/repo/dists-tree;
    index index.html;
  }
  server {
    listen 127.0.0.1:$port;
    root $work/repo;
    include $PWD/docs/nginx/tuf-locations.conf;
  }
}
CONF
"$nginx" -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
sleep 1
curl -fsS "http://127.0.0.1:$nport/simple/n0/" >/dev/null
curl -fsS "http://127.0.0.1:$port/metadata/timestamp.json" >/dev/null
tuf=("$cli" install --mirror "http://127.0.0.1:$port/" --root "$work/repo/metadata/1.root.json" --python "$py" --uv "$uv")
plain_uv=("$uv" pip install --no-config --python "$py" --index-url "http://127.0.0.1:$nport/simple/")
plain_pip=("$py" -m pip install --disable-pip-version-check --no-input --index-url "http://127.0.0.1:$nport/simple/")
# Warm caches, filled once.
"${tuf[@]}" --cache-dir "$work/warm-tuf-uv" --installer uv "${reqs[@]}" -- --target "$work/w0" >/dev/null 2>&1
"${tuf[@]}" --cache-dir "$work/warm-tuf-pip" --installer pip "${reqs[@]}" -- --target "$work/w1" >/dev/null 2>&1
"${plain_uv[@]}" --cache-dir "$work/warm-uv" --target "$work/w2" "${reqs[@]}" >/dev/null 2>&1
"${plain_pip[@]}" --cache-dir "$work/warm-pip" --target "$work/w3" "${reqs[@]}" >/dev/null 2>&1
echo "== $projects independent projects into a fresh --target, median of $runs runs"
"$py" - "$runs" "$work" "${#reqs[@]}" "${reqs[@]}" -- "${tuf[@]}" -- "${plain_uv[@]}" -- "${plain_pip[@]}" <<'PY'
import datetime, os, re, statistics, subprocess, sys, time
runs, work, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
reqs = sys.argv[4:4 + n]
rest = sys.argv[4 + n + 1:]
cut = [i for i, a in enumerate(rest) if a == "--"]
tuf, plain_uv, plain_pip = rest[:cut[0]], rest[cut[0] + 1:cut[1]], rest[cut[1] + 1:]
counter = iter(range(10**6))
def cmds(installer, path):
    k = next(counter)
    t = f"{work}/t{k}"
    if path == "cold":
        tc, ic = [f"--cache-dir={work}/c{k}-tuf"], [f"--cache-dir={work}/c{k}-plain"]
    else:
        tc, ic = [f"--cache-dir={work}/warm-tuf-{installer}"], [f"--cache-dir={work}/warm-{installer}"]
    through = tuf + tc + ["--installer", installer] + reqs + ["--", "--target", t + "-tuf"]
    plain = (plain_uv if installer == "uv" else plain_pip) + ic + ["--target", t + "-plain"] + reqs
    return through, plain
def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t
def world(target):
    """plain uv cold as tuf-cli's world runs it (bubblewrap, no cache, a private /tmp), with
    the network shared: no forwarder, no proxy, no TUF."""
    ask = "import sys; print(sys.prefix); print(sys.base_prefix)"
    prefixes = subprocess.run([plain_uv[5], "-c", ask], check=True, capture_output=True,
                              text=True).stdout.split()
    os.makedirs(target)
    a = ["bwrap", "--unshare-all", "--share-net", "--unshare-user", "--cap-drop", "ALL",
         "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr", "--proc", "/proc",
         "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/tmp/home", "--setenv", "HOME",
         "/tmp/home", "--setenv", "TMPDIR", "/tmp"]
    for top in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(top):
            a += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            a += ["--ro-bind", top, top]
    for p in sorted(set(prefixes + [os.path.dirname(plain_uv[0])])):
        a += ["--ro-bind", p, p]
    a += ["--bind", target, target, "--"]
    return a + plain_uv + ["--no-cache", "--target", target] + reqs
def phases(through):
    """tuf-cli's own time before the installer starts and after it exits, in ms (from the
    wall clock and the log's time stamps)."""
    launched = time.time()
    log = subprocess.run(tuf + ["-vv"] + through[len(tuf):], check=True, capture_output=True, text=True).stderr
    ended = time.time()
    def at(phase):
        m = re.search(r"^(\S+?)(?:\.(\d+))?Z .*session: " + phase, log, re.M)
        whole = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc)
        return whole.timestamp() + float("0." + (m.group(2) or "0"))
    return ((at("staged, starting the installer") - launched) * 1000,
            (ended - at("installer exited")) * 1000)
print(f"{'installer':9} {'path':5} {'nginx s':>8} {'tuf-cli s':>10} {'ratio':>6}")
floor = []
for installer in ("uv", "pip"):
    for path in ("cold", "warm"):
        a, b = [], []
        for _ in range(runs):
            through, plain = cmds(installer, path)
            b.append(timed(plain))
            a.append(timed(through))
            if installer == "uv" and path == "cold":
                floor.append(timed(world(f"{work}/floor{next(counter)}")))
        p, t = statistics.median(b), statistics.median(a)
        print(f"{installer:9} {path:5} {p:8.3f} {t:10.3f} {t / p:6.2f}")
        if floor and installer == "uv" and path == "cold":
            f = statistics.median(floor)
            print(f"  uv cold in bubblewrap straight to nginx (the sandbox alone): {f:.3f} s, "
                  f"{f / p:.2f}x nginx")
            ph = [phases(cmds("uv", "cold")[0]) for _ in range(runs)]
            print(f"  tuf-cli's own phases (median of {runs} -vv runs): before the installer "
                  f"{statistics.median(x[0] for x in ph):.1f} ms, after it "
                  f"{statistics.median(x[1] for x in ph):.1f} ms")
PY
