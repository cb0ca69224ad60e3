"""A Redis Cluster of the tests' own: three masters with one replica each, on free ports, in a
temporary folder, keeping nothing on disk but the nodes' cluster config. A master can be killed
(SIGKILL, as a crash) and its replica's promotion waited for; a killed node can be started
again (it rejoins as a replica of its promoted one)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import redis
from redis.cluster import key_slot

from tests.support.processes import wait_for

#: Milliseconds until a silent master is failed over. Short, so a failover takes a second or
#: two (the replica's election adds 0.5 to 1 s); the default 15 s is for real networks.
NODE_TIMEOUT_MS = 500


def _free_cluster_port() -> int:
    """A port free for a node and for its cluster bus (the port + 10000)."""
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise AssertionError("no free port pair for a Redis Cluster node")


class RedisCluster:
    """Six redis-server processes forming one cluster; ``url`` is its REDIS_URL."""

    def __init__(self, masters: int = 3) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="redis-cluster-"))
        self.ports: list[int] = []
        self.processes: dict[int, subprocess.Popen] = {}
        try:
            while len(self.ports) < masters * 2:
                port = _free_cluster_port()
                if port not in self.ports:
                    self.ports.append(port)
            for port in self.ports:
                self.start(port)
            subprocess.run(
                ["redis-cli", "--cluster", "create",
                 *(f"127.0.0.1:{port}" for port in self.ports),
                 "--cluster-replicas", "1", "--cluster-yes"],
                check=True, capture_output=True, timeout=60)
            self.wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def node(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2, socket_connect_timeout=2)

    def start(self, port: int) -> None:
        data = self.folder / str(port)
        data.mkdir(exist_ok=True)
        self.processes[port] = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
             "--cluster-enabled", "yes", "--cluster-config-file", str(data / "nodes.conf"),
             "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
             # A master that is down takes only its own slots away, not the whole cluster's
             # (docs: the recommended server setting for the cache).
             "--cluster-require-full-coverage", "no",
             "--dir", str(data), "--logfile", str(data / "redis.log"), "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self._answers(port), timeout=10, interval=0.01,
                 message=f"redis-server on port {port}")

    def _answers(self, port: int) -> bool:
        process = self.processes[port]
        if process.poll() is not None:
            raise AssertionError(f"redis-server {port} exited with {process.returncode}")
        with self.node(port) as probe:
            return probe.ping()

    def info(self, port: int, section: str) -> dict:
        with self.node(port) as client:
            return client.info(section)

    def masters(self) -> dict[int, list[int]]:
        """Each live master's port and its live replicas' ports, as the masters see them."""
        result = {}
        for port in self.live_ports():
            replication = self.info(port, "replication")
            if replication["role"] == "master":
                result[port] = [value["port"] for key, value in replication.items()
                                if key.startswith("slave") and isinstance(value, dict)
                                and value.get("state") == "online"]
        return result

    def live_ports(self) -> list[int]:
        return [port for port, process in self.processes.items() if process.poll() is None]

    def master_of(self, key: str) -> int:
        """The port of the master serving ``key``'s slot, as a live node sees it."""
        slot = key_slot(key.encode())
        with self.node(self.live_ports()[0]) as client:
            for start, end, master, *_replicas in client.execute_command("CLUSTER SLOTS"):
                if start <= slot <= end:
                    return int(master[1])
        raise AssertionError(f"no master serves slot {slot}")

    def wait_until_healthy(self, timeout: float = 30) -> None:
        """cluster_state:ok on every live node, three masters each with a live replica."""

        def healthy() -> bool:
            for port in self.live_ports():
                with self.node(port) as client:
                    if client.cluster("info")["cluster_state"] != "ok":
                        return False
            masters = self.masters()
            return len(masters) * 2 == len(self.processes) and all(masters.values())

        wait_for(healthy, timeout=timeout, interval=0.05, message="a healthy Redis Cluster")

    def kill(self, port: int) -> None:
        process = self.processes[port]
        process.kill()
        process.wait(timeout=10)

    def kill_master(self, port: int) -> int:
        """SIGKILL the master on ``port``; wait until its replica is promoted and every live
        node agrees; return the promoted replica's port."""
        replicas = self.masters()[port]
        self.kill(port)
        return self.wait_for_promotion(replicas)

    def wait_for_promotion(self, replicas: list[int], timeout: float = 30) -> int:
        """The port of the one of ``replicas`` (of a killed master) once it is a master and
        the cluster is ok again."""

        def promoted() -> int | None:
            for replica in replicas:
                if self.info(replica, "replication")["role"] != "master":
                    continue
                with self.node(replica) as client:
                    if client.cluster("info")["cluster_state"] == "ok":
                        return replica
            return None

        return wait_for(promoted, timeout=timeout, interval=0.02,
                        message=f"one of {replicas} promoted")

    def restart(self, port: int) -> None:
        """Start a killed node again and wait until the cluster is whole (it rejoins as a
        replica)."""
        self.start(port)
        self.wait_until_healthy()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
