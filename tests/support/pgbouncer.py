"""A PgBouncer of the tests' own (Debian's ``pgbouncer``, 1.18, which scripts/services.sh
installs) in transaction-pooling mode, in front of the test PostgreSQL server: its config in
a temporary directory, on a free port, stopped and removed by stop()."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg2
import pytest

from tests.support.processes import free_port, wait_until_up

#: PgBouncer refuses to run as root; as root the tests start it as this user.
UNPRIVILEGED_USER = "nobody"


def pgbouncer_binary() -> str:
    """The installed pgbouncer (Debian puts it in /usr/sbin); fails, never skips, without it."""
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if not found:
        pytest.fail("pgbouncer is not installed; install it with: bash scripts/services.sh "
                    "(as root) or sudo apt-get install pgbouncer", pytrace=False)
    return found


def _quoted(value: str) -> str:
    """A value of a libpq-style connection string in PgBouncer's [databases] section."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class PgBouncer:
    """PgBouncer in front of the server of ``direct_url``, serving ``databases`` of it.

    Clients are trusted (as the test server trusts 127.0.0.1); PgBouncer logs in to
    PostgreSQL as the URL's user, with its password. Nothing in ``ignore_startup_parameters``:
    a client sending a parameter 1.18 refuses (``options``) is refused, as in production.

    Parameters:
      pool_size: server connections per database; fewer than the clients of a test, so
        every client's transactions are spread over shared server sessions.
    """

    def __init__(self, direct_url: str, databases: Sequence[str], *, pool_size: int = 4) -> None:
        binary = pgbouncer_binary()
        self.pool_size = pool_size
        parts = urlsplit(direct_url)
        self.user = unquote(parts.username or "postgres")
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        login = f"host={parts.hostname or '127.0.0.1'} port={parts.port or 5432}" \
                f" user={_quoted(self.user)}"
        if parts.password:
            login += f" password={_quoted(unquote(parts.password))}"
        entries = "\n".join(f"{name} = dbname={_quoted(name)} {login}" for name in databases)
        (self.directory / "userlist.txt").write_text(f'"{self.user}" ""\n')
        self.config = self.directory / "pgbouncer.ini"
        self.config.write_text(f"""\
[databases]
{entries}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.directory / "userlist.txt"}
admin_users = {self.user}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
""")
        command = [binary]
        if os.geteuid() == 0:
            account = pwd.getpwnam(UNPRIVILEGED_USER)
            for path in (self.directory, *self.directory.iterdir()):
                os.chown(path, account.pw_uid, account.pw_gid)
            command += ["-u", UNPRIVILEGED_USER]
        self.log_path = self.directory / "pgbouncer.log"
        self._final_log: str | None = None
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        # In the foreground (no -d), so the process is ours to stop; it logs to stderr.
        self.process = subprocess.Popen(
            [*command, str(self.config)], stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_until_up(self.process, self._answers, name=f"PgBouncer on :{self.port}",
                      timeout=20, stop=self.stop, log=self.log)

    def url(self, database: str) -> str:
        """The URL of ``database`` through PgBouncer."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def show(self, what: str) -> list[dict]:
        """The rows of the admin console's ``SHOW {what}`` (STATS, POOLS, CLIENTS...)."""
        connection = psycopg2.connect(self.url("pgbouncer"))
        connection.autocommit = True  # the console runs no transactions
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SHOW {what}")
                names = [column.name for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            connection.close()

    def transactions(self, database: str) -> int:
        """Transactions (and statements outside one) PgBouncer has run for ``database``;
        a database no client has used yet has no row."""
        return sum(row["total_xact_count"] for row in self.show("STATS")
                   if row["database"] == database)

    def _answers(self) -> bool:
        return bool(self.show("VERSION"))

    def log(self) -> str:
        """The end of PgBouncer's output (kept by stop(), which removes the directory)."""
        if self._final_log is not None:
            return self._final_log
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # immediate shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()
        if self._final_log is None:
            self._final_log = self.log()
        shutil.rmtree(self.directory, ignore_errors=True)
