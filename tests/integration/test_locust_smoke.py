"""Smoke run of the Locust scenarios (loadtests/locustfile.py) against a real API.

Each scenario runs headless for a few seconds, as CI would run it; the test asserts that it
sent requests and that none failed (wrong status, missing X-Cache), never how fast they were.
Each scenario is its own Locust process, like a CI job would start it.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

# scenarios, not the locustfile: importing locust would monkey-patch pytest's process.
from loadtests.scenarios import (
    CREATE_IMAGES,
    CREATE_PLAIN,
    HOT_READ,
    LIST_FILTERS,
    NEXT_PAGE,
    RANDOM_READ,
    UNCACHED_READ,
)
from loadtests.seed import seed
from tests.support.environment import settings_env
from tests.support.processes import REPO, ApiServer

RUN_TIME = "3s"
USERS = "4"
LIST_NAMES = {*LIST_FILTERS, NEXT_PAGE}
#: Scenario -> the request names it may report: more would mean ids leaking into names.
SCENARIOS = {
    "HealthUser": {"/healthz"},
    "CachedReadUser": {HOT_READ},
    "UncachedReadUser": {UNCACHED_READ},
    "ListUser": LIST_NAMES,
    "CreateUser": {CREATE_PLAIN, CREATE_IMAGES},
    "MixedUser": {HOT_READ, RANDOM_READ, CREATE_PLAIN, CREATE_IMAGES, *LIST_NAMES},
}
#: Nothing listens on the discard port: UncachedReadUser must take LOCUST_UNCACHED_HOST.
UNREACHABLE_HOST = "http://127.0.0.1:9"


@pytest.fixture
def api(base_settings, clean_database, tmp_path):
    server = ApiServer(
        settings_env(base_settings),
        log_path=tmp_path / "api.log",
    )
    yield server
    server.stop()


def test_every_scenario_runs_without_failures(api, base_settings, clean_database, tmp_path):
    [account] = seed(base_settings.database_url, users=1, products_per_user=200,
                     api_key_secret=base_settings.api_key_secret, progress=False)
    first, last = clean_database.execute_sql(
        "SELECT min(id), max(id) FROM products WHERE user_id = %s",
        (account["user_id"],)).fetchone()
    # Nothing from the caller's shell (a LOCUST_HOST, LOCUST_RUN_TIME...) may steer the runs.
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOCUST_")}
    env.update(LOCUST_USER_ID=str(account["user_id"]), LOCUST_API_KEY=account["api_key"],
               LOCUST_PRODUCT_IDS=f"{first}-{last}", LOCUST_HOT_IDS="20")

    started = time.monotonic()
    problems = []
    # One after the other: at once, the processes' start-up starves each other's users on a
    # small machine, and a run whose requests all fall in its last second shows none in its
    # CSV, which Locust rewrites only once a second (the exit code still counts them).
    for scenario in SCENARIOS:
        host, extra = api.url, {}
        if scenario == "UncachedReadUser":
            host, extra = UNREACHABLE_HOST, {"LOCUST_UNCACHED_HOST": api.url}
        with open(tmp_path / f"{scenario}.log", "wb") as output:
            code = subprocess.run(
                [sys.executable, "-m", "locust", "-f", "loadtests/locustfile.py", "--headless",
                 "-u", USERS, "-r", USERS, "-t", RUN_TIME, "--host", host,
                 "--csv", str(tmp_path / scenario), "--only-summary", scenario],
                cwd=REPO, env={**env, **extra}, stdout=output, stderr=subprocess.STDOUT,
                timeout=60).returncode
        problems += check_run(scenario, code, tmp_path)
    elapsed = time.monotonic() - started
    assert not problems, f"after {elapsed:.1f}s:\n" + "\n\n".join(problems)


def check_run(scenario: str, code: int, directory: Path) -> list[str]:
    """What is wrong with one scenario's run (nothing: an empty list)."""
    log = (directory / f"{scenario}.log").read_text(errors="replace")
    stats_path = directory / f"{scenario}_stats.csv"
    if not stats_path.exists():
        return [f"{scenario}: exit code {code}, no stats; output:\n{log[-3000:]}"]
    with stats_path.open(newline="") as stats_file:
        rows = {row["Name"]: row for row in csv.DictReader(stats_file)}
    total = rows.pop("Aggregated")
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    problems = []
    if code != 0:
        problems.append(f"exit code {code}")
    if requests == 0:
        problems.append("no requests")
    if failures:
        failed = (directory / f"{scenario}_failures.csv").read_text()
        problems.append(f"{failures} of {requests} requests failed:\n{failed}")
    if unexpected := set(rows) - SCENARIOS[scenario]:
        problems.append(f"unexpected request names {sorted(unexpected)}")
    if problems:
        return [f"{scenario}: " + "; ".join(problems) + f"\noutput:\n{log[-3000:]}"]
    return []
