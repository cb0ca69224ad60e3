"""scripts/services.sh against staged machines: PATH holds only the commands we stage, and
the service ports point at ports where nothing listens. Nothing real is started."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.processes import free_port

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "services.sh"
TOOLS = ("bash", "sleep", "head", "ls", "mkdir", "cat")


def fake(directory: Path, name: str, body: str = "") -> None:
    """A command that records how it was called (and runs ``body``)."""
    path = directory / name
    path.write_text(f'#!/bin/bash\necho "{name} $*" >> "$CALLS"\n{body}\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def machine(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        os.symlink(shutil.which(tool), bin_dir / tool)
    calls = tmp_path / "calls"
    calls.touch()

    def run(*, uid: int) -> tuple[subprocess.CompletedProcess, list[str]]:
        fake(bin_dir, "id", f'echo {uid}')
        env = {"PATH": str(bin_dir), "CALLS": str(calls), "SERVICES_WAIT_SECONDS": "1",
               "SERVICES_PG_PORT": str(free_port()), "SERVICES_REDIS_PORT": str(free_port()),
               "SERVICES_RABBITMQ_PORT": str(free_port())}
        result = subprocess.run([str(bin_dir / "bash"), str(SCRIPT)], env=env,
                                capture_output=True, text=True, timeout=60)
        return result, calls.read_text().splitlines()

    return bin_dir, run


def test_installed_but_stopped_services_are_started(machine):
    bin_dir, run = machine
    for command in ("pg_ctlcluster", "redis-server", "rabbitmq-server"):
        fake(bin_dir, command)
    fake(bin_dir, "rabbitmqctl", "exit 1")  # no node running
    result, calls = run(uid=0)
    started = [call.split()[0] for call in calls if not call.startswith(("id", "rabbitmqctl"))]
    assert started == ["pg_ctlcluster", "redis-server", "rabbitmq-server"]
    assert "rabbitmq-server -detached" in calls
    # our fakes start nothing, so the script waits, then says so
    assert result.returncode == 1 and "did not come up" in result.stderr


def test_a_stopped_rabbitmq_app_is_started_not_a_second_node(machine):
    bin_dir, run = machine
    for command in ("pg_ctlcluster", "redis-server", "rabbitmq-server"):
        fake(bin_dir, command)
    fake(bin_dir, "rabbitmqctl")  # "status" succeeds: the node runs, its app does not
    _, calls = run(uid=0)
    assert "rabbitmqctl -q start_app" in calls
    assert not any(call.startswith("rabbitmq-server") for call in calls)


def test_root_without_the_services_installs_them_from_debian(machine):
    bin_dir, run = machine
    fake(bin_dir, "apt-get")
    result, calls = run(uid=0)
    installs = [call for call in calls if call.startswith("apt-get") and "install" in call]
    assert [call.split()[-1] for call in installs] == [
        "postgresql", "redis-server", "rabbitmq-server", "pgbouncer", "chromium"]
    assert result.returncode == 1  # our apt-get installs nothing real


def test_non_root_without_the_services_says_what_to_install(machine):
    bin_dir, run = machine
    fake(bin_dir, "apt-get")
    result, calls = run(uid=1000)
    assert result.returncode == 1
    assert not any(call.startswith("apt-get") for call in calls)
    for package in ("postgresql", "redis-server", "rabbitmq-server"):
        assert f"apt-get install {package}" in result.stderr
    assert "docker compose up" in result.stderr
    # only the tests use PgBouncer: nobody is told to install it for `make run`
    assert "pgbouncer" not in result.stderr and "chromium" not in result.stderr


def test_running_services_are_left_alone(machine, tmp_path):
    import socket

    bin_dir, _ = machine
    listeners = [socket.create_server(("127.0.0.1", 0)) for _ in range(3)]
    ports = [listener.getsockname()[1] for listener in listeners]
    fake(bin_dir, "id", "echo 0")
    fake(bin_dir, "pgbouncer")  # installed
    fake(bin_dir, "chromium")  # installed
    env = {"PATH": str(bin_dir), "CALLS": str(tmp_path / "calls"),
           "SERVICES_PG_PORT": str(ports[0]), "SERVICES_REDIS_PORT": str(ports[1]),
           "SERVICES_RABBITMQ_PORT": str(ports[2])}
    result = subprocess.run([str(bin_dir / "bash"), str(SCRIPT)], env=env, capture_output=True,
                            text=True, timeout=30)
    for listener in listeners:
        listener.close()
    assert result.returncode == 0 and result.stderr == ""
    # an installed PgBouncer is not started: the tests start their own
    assert not any(call.startswith("pgbouncer") for call in
                   (tmp_path / "calls").read_text().splitlines())
