"""A local three-node RabbitMQ cluster for failover tests, beside the machine's own node.

Each node is Debian's ``rabbitmq-server`` run as a child of the test process with a
configuration, node name, AMQP port, distribution port and data folders of its own (under
one temporary directory), never the machine's /etc/rabbitmq: that one pins the listener to
5672 and names the machine's node ``rabbit@localhost``. The nodes share the running epmd
(4369), which only maps names to ports, and an Erlang cookie of their own in the
directory that is their HOME (and that of every ``rabbitmqctl`` we run against them).

The three boot in parallel; nodes 2 and 3 then join node 1 (``stop_app``, ``join_cluster``,
``start_app``). A node killed and started again rejoins by itself: its data folder remembers
the cluster.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.processes import wait_for
from tests.support.services import free_port_run

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
#: Erlang distribution settings of the machine's node (its rabbitmq-env.conf), kept for ours:
#: epmd and distribution on loopback only.
ENV_CONF = ("ERL_EPMD_ADDRESS=127.0.0.1\n"
            'export ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"\n')
#: Seconds a node may take to boot (measured: 5-8 s each, three in parallel on two cores).
BOOT_TIMEOUT = 60
#: A correctness bound for a CLI command; they take about a second.
CTL_TIMEOUT = 90


@dataclass
class RabbitNode:
    name: str  # the Erlang node name, e.g. pc-test-1@localhost
    amqp_port: int
    dist_port: int
    directory: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url_host(self) -> str:
        return f"127.0.0.1:{self.amqp_port}"

    @property
    def pid_file(self) -> Path:
        return self.directory / "node.pid"

    @property
    def log_path(self) -> Path:
        return self.directory / "stdout.log"


class RabbitCluster:
    """Three (``size``) nodes ``pc-test-<n>-<suffix>@localhost`` on ports from 20000-30000.

    The names carry a suffix of the process id, so two sessions' clusters (or a cluster left
    by a killed session) never share a name; nor can the machine's ``rabbit@...``.
    """

    def __init__(self, size: int = 3) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="rabbitmq-cluster-"))
        cookie = self.directory / ".erlang.cookie"
        cookie.write_text(f"PCTEST{os.getpid()}COOKIE{time.time_ns()}")
        cookie.chmod(0o400)
        (self.directory / "rabbitmq-env.conf").write_text(ENV_CONF)
        (self.directory / "enabled_plugins").write_text("[].\n")
        first = free_port_run(2 * size)
        self.nodes = [
            RabbitNode(name=f"pc-test-{n + 1}-{os.getpid()}@localhost", amqp_port=first + n,
                       dist_port=first + size + n, directory=self.directory / f"node-{n + 1}")
            for n in range(size)]
        try:
            for node in self.nodes:
                self._launch(node)
            with ThreadPoolExecutor(size) as pool:
                list(pool.map(self._await_boot, self.nodes))
            for node in self.nodes[1:]:
                self.join(node, self.nodes[0])
            self.wait_until_formed()
        except BaseException:
            self.teardown()
            raise

    # -- environment and commands ----------------------------------------------------------

    def _env(self, node: RabbitNode) -> dict[str, str]:
        base = node.directory
        return {
            **os.environ, "HOME": str(self.directory),
            "RABBITMQ_CONF_ENV_FILE": str(self.directory / "rabbitmq-env.conf"),
            "RABBITMQ_NODENAME": node.name, "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(node.amqp_port), "RABBITMQ_DIST_PORT": str(node.dist_port),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(base / "plugins-expand"),
            "RABBITMQ_PID_FILE": str(node.pid_file),
            # The CLI's own distribution ports, above the node's (the CLI's default is 35672+,
            # shared with the machine's node's CLI calls).
            "RABBITMQ_CTL_DIST_PORT_MIN": str(node.dist_port + 10000),
            "RABBITMQ_CTL_DIST_PORT_MAX": str(node.dist_port + 10010),
        }

    def ctl(self, node: RabbitNode, *args: str, tool: str = "rabbitmqctl",
            check: bool = True) -> subprocess.CompletedProcess:
        """``rabbitmqctl -n <node> args`` (or another CLI tool) against one of our nodes."""
        result = subprocess.run([str(RABBIT_BIN / tool), "-q", "-n", node.name, *args],
                                env=self._env(node), capture_output=True, text=True,
                                timeout=CTL_TIMEOUT)
        if check and result.returncode != 0:
            raise AssertionError(f"{tool} -n {node.name} {' '.join(args)} failed"
                                 f" ({result.returncode}): {result.stderr or result.stdout}")
        return result

    def node(self, name_or_index: str | int) -> RabbitNode:
        if isinstance(name_or_index, int):
            return self.nodes[name_or_index]
        return next(node for node in self.nodes if node.name == name_or_index)

    def broker_url(self, vhost: str) -> str:
        """BROKER_URL listing every node, comma-separated."""
        return ",".join(f"amqp://guest:guest@{node.url_host}/{vhost}" for node in self.nodes)

    # -- life cycle --------------------------------------------------------------------------

    def _launch(self, node: RabbitNode) -> None:
        node.directory.mkdir(exist_ok=True)
        (node.directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{node.amqp_port}\n"
            "loopback_users = none\n"
            # A node that cannot see a majority pauses rather than diverge.
            "cluster_partition_handling = pause_minority\n")
        (node.directory / "advanced.config").write_text("[].\n")
        node.pid_file.unlink(missing_ok=True)
        log = open(node.log_path, "ab")  # noqa: SIM115 - the child holds it; closed below
        node.process = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")], env=self._env(node), cwd=node.directory,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()

    def _await_boot(self, node: RabbitNode) -> None:
        def booted() -> bool:
            if node.process.poll() is not None:
                raise AssertionError(f"{node.name} exited with {node.process.returncode}:\n"
                                     + node.log_path.read_text(errors="replace")[-3000:])
            # The AMQP listener opens once the node has booted; a port probe costs nothing,
            # where each CLI call is an Erlang VM that competes with the booting nodes.
            with socket.socket() as probe:
                probe.settimeout(1)
                return probe.connect_ex(("127.0.0.1", node.amqp_port)) == 0
        wait_for(booted, timeout=BOOT_TIMEOUT, interval=0.2, message=f"{node.name} to boot")
        self.ctl(node, "await_startup")

    def start(self, node: RabbitNode | str | int) -> None:
        """Start a stopped or killed node and wait until it runs in the cluster again."""
        node = node if isinstance(node, RabbitNode) else self.node(node)
        self._launch(node)
        self._await_boot(node)
        self.wait_until_formed(via=node)

    def start_all(self) -> None:
        """Boot every node at once: a cluster's nodes wait for each other at boot (the last
        to stop is the first the others need), so one at a time could hang."""
        self.ensure_running()

    def ensure_running(self) -> None:
        """Start again, in parallel, every node that is not running, and wait for the
        cluster."""
        down = [node for node in self.nodes
                if node.process is None or node.process.poll() is not None]
        for node in down:
            self._launch(node)
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(self._await_boot, down))
        if down:
            self.wait_until_formed()

    def stop_all(self) -> None:
        """Stop every node cleanly (``rabbitmqctl stop``), one after the other."""
        for node in self.nodes:
            self.ctl(node, "stop")
            node.process.wait(timeout=CTL_TIMEOUT)

    def join(self, node: RabbitNode, to: RabbitNode) -> None:
        self.ctl(node, "stop_app")
        self.ctl(node, "join_cluster", to.name)
        self.ctl(node, "start_app")

    def beam_pid(self, node: RabbitNode) -> int:
        """The Erlang VM's pid: the node writes it to its pid file at boot (asking the node,
        ``eval 'os:getpid().'``, costs a CLI call of a second or more)."""
        if node.pid_file.exists() and node.pid_file.read_text().strip():
            return int(node.pid_file.read_text())
        return int(self.ctl(node, "eval", "os:getpid().").stdout.strip().strip('"'))

    def kill(self, node: RabbitNode | str | int) -> None:
        """SIGKILL the node's VM and everything in its process group: no clean shutdown."""
        node = node if isinstance(node, RabbitNode) else self.node(node)
        beam = self.beam_pid(node)
        os.kill(beam, signal.SIGKILL)
        self._kill_group(node)
        wait_for(lambda: not _alive(beam), timeout=10, message=f"pid {beam} to die")

    def _kill_group(self, node: RabbitNode) -> None:
        if node.process is None:
            return
        try:
            os.killpg(node.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        node.process.wait(timeout=30)

    def teardown(self) -> None:
        """Kill every node we started (nothing of theirs is worth a clean stop) and remove
        their folders."""
        for node in self.nodes if hasattr(self, "nodes") else ():
            self._kill_group(node)
        shutil.rmtree(self.directory, ignore_errors=True)

    # -- state ------------------------------------------------------------------------------

    def running_nodes(self, via: RabbitNode | None = None) -> set[str]:
        via = via or self._a_running_node()
        status = json.loads(self.ctl(via, "cluster_status", "--formatter", "json").stdout)
        return set(status["running_nodes"])

    def wait_until_formed(self, via: RabbitNode | None = None,
                          timeout: float = BOOT_TIMEOUT) -> None:
        """Poll until ``via`` (by default node 1) sees every node running in its cluster."""
        names = {node.name for node in self.nodes}
        wait_for(lambda: self.running_nodes(via or self.nodes[0]) == names, timeout=timeout,
                 interval=0.5, message=f"the cluster {sorted(names)}")

    def queue_leader(self, vhost: str, queue: str) -> RabbitNode:
        """The node leading a quorum queue (``list_queues ... leader``)."""
        rows = json.loads(self.ctl(self._a_running_node(), "list_queues", "-p", vhost,
                                   "name", "leader", "--formatter", "json").stdout)
        leader = next(row["leader"] for row in rows if row["name"] == queue)
        return self.node(leader)

    def add_vhost(self, vhost: str) -> None:
        via = self.nodes[0]
        self.ctl(via, "add_vhost", vhost)
        self.ctl(via, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")

    def _a_running_node(self) -> RabbitNode:
        return next(node for node in self.nodes
                    if node.process is not None and node.process.poll() is None)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (killed, not yet reaped by its parent) counts as dead.
    return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
