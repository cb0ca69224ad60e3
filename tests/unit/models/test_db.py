"""What models/db.py asks of a connection: nothing a transaction pooler refuses."""

from __future__ import annotations

from models.db import connect_arguments


def test_no_startup_options_which_pgbouncer_refuses():
    arguments = connect_arguments("postgresql://app:secret@db.example:6432/catalog")
    assert "options" not in arguments
    assert (arguments["database"], arguments["host"], arguments["port"], arguments["user"],
            arguments["password"]) == ("catalog", "db.example", 6432, "app", "secret")
