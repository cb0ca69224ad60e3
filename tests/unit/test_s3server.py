"""scripts/s3server.py: the command line and identities file it gives SeaweedFS."""

from __future__ import annotations

import json
import stat

import pytest

from core.settings import Settings
from scripts.s3server import identities, ports_from, s3_port, weed_command, write_identities


def test_the_identities_file_holds_the_settings_keys_and_only_its_owner_reads_it(tmp_path):
    # given: a file from an earlier start, with other keys
    path = tmp_path / "identities.json"
    path.write_text("old")
    # when
    write_identities(path, "access", "secret")
    # then
    assert json.loads(path.read_text()) == identities("access", "secret")
    credentials = identities("access", "secret")["identities"][0]["credentials"]
    assert credentials == [{"accessKey": "access", "secretKey": "secret"}]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_every_listener_gets_a_port_of_ours_on_loopback(tmp_path):
    ports = ports_from(9000, 9333)
    command = weed_command("weed", tmp_path, tmp_path / "identities.json", ports)
    assert "-s3.port=9000" in command and "-ip.bind=127.0.0.1" in command
    given = {arg.split("=")[1] for arg in command if ".port" in arg.split("=")[0]}
    # weed's defaults would take 8080 (the API's port) for the volume server, 8181 and 9101.
    assert given == {"9000", "0", *map(str, range(9333, 9340))}


def test_an_s3_port_among_the_internal_ones_is_refused():
    with pytest.raises(SystemExit, match="among the internal ports"):
        ports_from(9335, 9333)


def test_an_endpoint_without_a_port_is_refused():
    with pytest.raises(SystemExit, match="names no port"):
        s3_port(Settings(s3_endpoint="s3.example.com"))
    assert s3_port(Settings(s3_endpoint="127.0.0.1:9000")) == 9000
