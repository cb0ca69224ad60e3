"""HTTP load for ``make bench``: wrk for the read ratios, Locust for list, create and mixed.

Load generator and server share the machine's two cores. Near ``/healthz`` speeds Locust
itself is the bottleneck, which pushes every ratio toward 1, so the three read figures come
from wrk (C, a fraction of Locust's CPU per request), measured in interleaved rounds so that
drift in the machine's speed hits every endpoint alike.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
LOCUSTFILE = REPO / "loadtests" / "locustfile.py"
PERCENTILES_SCRIPT = Path(__file__).resolve().parent / "percentiles.lua"


def require_wrk() -> str:
    """wrk's path, installing Debian's package when missing (root only)."""
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run("apt-get update -qq && apt-get install -y -qq wrk", shell=True,
                       check=True, stdout=subprocess.DEVNULL)
        path = shutil.which("wrk")
    if not path:
        raise SystemExit("make bench needs wrk: sudo apt-get install wrk")
    return path


def wrk(url: str, *, seconds: int, connections: int, threads: int = 2) -> dict:
    """One wrk run: requests/s and latency percentiles in ms, plus non-2xx count."""
    result = subprocess.run(
        [require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
         "-s", str(PERCENTILES_SCRIPT), url],
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    )
    out = result.stdout
    p50, p95, p99 = (float(value) for value in
                     re.search(r"^PERCENTILES (\S+) (\S+) (\S+)$", out, re.M).groups())
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "failures": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def interleaved(targets: dict[str, str], *, rounds: int, seconds: int,
                connections: int) -> dict[str, dict]:
    """Run wrk on each target in turn, ``rounds`` times; the median round per target.

    A short unrecorded pass first lets every server thread open its connections and warm up.
    """
    for url in targets.values():
        wrk(url, seconds=2, connections=connections)
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, url in targets.items():
            runs[name].append(wrk(url, seconds=seconds, connections=connections))
    summary = {}
    for name, results in runs.items():
        median_rps = statistics.median(result["rps"] for result in results)
        middle = min(results, key=lambda result: abs(result["rps"] - median_rps))
        summary[name] = {**middle, "rounds": [round(result["rps"]) for result in results],
                         "failures": sum(result["failures"] for result in results)}
    return summary


def locust(host: str, user_class: str, *, users: int, seconds: int, env: dict[str, str],
           csv_prefix: Path) -> dict:
    """One headless Locust run of one scenario class; its stats per request name, and the
    CPU share Locust itself used (it shares the machine with the server)."""
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
               "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", host,
               "--csv", str(csv_prefix), "--only-summary", "--loglevel", "WARNING", user_class]
    started = time.monotonic()
    process = psutil.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, cwd=REPO)
    cpu = 0.0
    while process.poll() is None:
        try:
            times = process.cpu_times()
            cpu = times.user + times.system
        except psutil.NoSuchProcess:
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    stderr = process.stderr.read().decode(errors="replace")
    rows = {}
    with open(f"{csv_prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "p99": float(row["99%"]),
            }
    return {"stats": rows, "locust_cpu_percent": round(100 * cpu / elapsed, 1),
            "exit_code": process.returncode, "stderr": stderr[-2000:]}
