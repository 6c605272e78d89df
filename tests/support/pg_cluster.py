"""A throwaway PostgreSQL cluster for tests and benchmarks.

    with PostgresCluster() as cluster:
        connect(cluster.url)                   # postgresql://USER:PASSWORD@127.0.0.1:PORT/DBNAME
        other = cluster.create_database("x")   # a second, empty database on the same server

It runs Debian's server binaries (`initdb`, `pg_ctl`) on a temp dir, listens only on 127.0.0.1 at a
free port, and is removed by `stop()`. Shell scripts use the command line instead:

    url=$(python -m tests.support.pg_cluster start --state-file /tmp/pg.json)
    python -m tests.support.pg_cluster stop --state-file /tmp/pg.json
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

import psycopg

MISSING_BINARIES = (
    "PostgreSQL server binaries not found; "
    "install Debian's postgresql package (apt-get install -y postgresql)"
)
SERVER_USER = "postgres"  # initdb refuses to run as root, so root runs it as this user
ADMIN_ROLE = "postgres"  # bootstrap superuser, reachable only over the cluster's private socket
_START_ATTEMPTS = 3  # a free port can be taken by someone else before the postmaster binds it


class PostgresClusterError(RuntimeError):
    """The cluster could not be found, started or stopped; the message says why."""


def find_bindir() -> Path:
    """Where `initdb` and `pg_ctl` are: the newest `/usr/lib/postgresql/N/bin`, or `pg_config`'s."""
    candidates = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda p: _version_key(p.parent.name),
        reverse=True,
    )
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresClusterError(MISSING_BINARIES)


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ClusterState:
    """Everything needed to reach or stop a running cluster from another process."""

    bindir: str
    basedir: str
    port: int
    user: str
    password: str
    dbname: str
    run_as: str | None
    pid: int


class PostgresCluster:
    """A private PostgreSQL server on 127.0.0.1 with one role (with a password) and one database.

    Start it with `start()` or `with PostgresCluster() as cluster:`; `stop()` shuts it down and
    deletes its files. `fsync` stays on: the benchmarks measure durable writes.
    """

    def __init__(self, user: str = "ledger", dbname: str = "ledger") -> None:
        self.user = user
        self.dbname = dbname
        self.password = secrets.token_hex(16)
        self.port = 0
        self.pid = 0
        self.basedir: Path | None = None
        self._bindir: Path | None = None
        self._run_as: str | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> PostgresCluster:
        """initdb a temp dir, start the server, create the role and database; returns self."""
        self._bindir = find_bindir()
        self._run_as = SERVER_USER if os.geteuid() == 0 else None
        self.basedir = Path(tempfile.mkdtemp(prefix="pg-cluster-"))
        try:
            if self._run_as:
                entry = _server_account(self._run_as)
                os.chown(self.basedir, entry.pw_uid, entry.pw_gid)
            self._initdb()
            self._start_server()
            self._create_role_and_database()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory. Safe to call twice."""
        basedir, self.basedir = self.basedir, None
        if basedir is None:
            return
        try:
            if (basedir / "data" / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(basedir / "data"), "-m", "fast", "-w", "stop",
                          cwd=basedir)
        finally:
            shutil.rmtree(basedir, ignore_errors=True)
            self.pid = 0

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what callers use ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """`postgresql://USER:PASSWORD@127.0.0.1:PORT/DBNAME` of the cluster's database."""
        return self.url_for(self.dbname)

    def url_for(self, dbname: str) -> str:
        """The URL of another database on this cluster, as the cluster's role."""
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create an empty database owned by the cluster's role; returns its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"database name must be a lower-case SQL identifier: {name!r}")
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER "{self.user}"')
        return self.url_for(name)

    def pause(self) -> None:
        """Stop the server but keep its files (an outage); :meth:`resume` starts it again."""
        assert self.basedir is not None
        self._run("pg_ctl", "-D", str(self.basedir / "data"), "-m", "fast", "-w", "stop",
                  cwd=self.basedir)

    def resume(self) -> None:
        """Start a paused server again, on the same port."""
        assert self.basedir is not None
        data, log = self.basedir / "data", self.basedir / "server.log"
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c fsync=on "
                   f"-k {self.basedir} -c max_connections=200")
        self._run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options,
                  "start", cwd=self.basedir)
        self.pid = int((data / "postmaster.pid").read_text().split()[0])

    def checkpoint(self) -> None:
        """Write out dirty pages now, so one benchmark run does not pay for the previous one."""
        with self._admin() as conn:
            conn.execute("CHECKPOINT")

    # -- state for the command line --------------------------------------------------------------

    def state(self) -> ClusterState:
        """What another process needs to stop this cluster (see `from_state`)."""
        if self.basedir is None or self._bindir is None:
            raise PostgresClusterError("the cluster is not running")
        return ClusterState(str(self._bindir), str(self.basedir), self.port, self.user,
                            self.password, self.dbname, self._run_as, self.pid)

    @classmethod
    def from_state(cls, state: ClusterState) -> PostgresCluster:
        """A handle on a cluster another process started."""
        cluster = cls(state.user, state.dbname)
        cluster.password, cluster.port, cluster.pid = state.password, state.port, state.pid
        cluster.basedir, cluster._bindir = Path(state.basedir), Path(state.bindir)
        cluster._run_as = state.run_as
        return cluster

    # -- internals -------------------------------------------------------------------------------

    def _initdb(self) -> None:
        assert self.basedir is not None
        # Trust on the private socket only (its directory is mode 0700); TCP needs the password.
        # --no-sync only skips flushing initdb's own files: the running server keeps fsync on.
        self._run("initdb", "-D", str(self.basedir / "data"), "-U", ADMIN_ROLE, "-E", "UTF8",
                  "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync",
                  cwd=self.basedir)

    def _start_server(self) -> None:
        assert self.basedir is not None
        data, log = self.basedir / "data", self.basedir / "server.log"
        for attempt in range(1, _START_ATTEMPTS + 1):
            self.port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c fsync=on "
                       f"-k {self.basedir} -c max_connections=200")
            try:
                self._run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60",
                          "-o", options, "start", cwd=self.basedir)
                break
            except PostgresClusterError:
                if attempt == _START_ATTEMPTS:
                    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    raise PostgresClusterError(f"PostgreSQL did not start:\n{tail}") from None
        self.pid = int((data / "postmaster.pid").read_text().split()[0])

    def _create_role_and_database(self) -> None:
        with self._admin() as conn:
            conn.execute(f"CREATE ROLE \"{self.user}\" LOGIN CREATEDB PASSWORD '{self.password}'")
            conn.execute(f'CREATE DATABASE "{self.dbname}" OWNER "{self.user}"')

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(host=str(self.basedir), port=self.port, user=ADMIN_ROLE,
                               dbname="postgres", autocommit=True)

    def _run(self, program: str, *args: str, cwd: Path) -> None:
        assert self._bindir is not None
        command = [str(self._bindir / program), *args]
        if self._run_as:
            command = ["runuser", "-u", self._run_as, "--", *command]
        # Output goes to a file, not a pipe: the postmaster pg_ctl leaves behind must not hold
        # our pipe open. cwd is ours: the server user may not be allowed into the caller's cwd.
        with tempfile.TemporaryFile() as out:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, cwd=cwd, check=False)
            if done.returncode != 0:
                out.seek(0)
                text = out.read().decode(errors="replace").strip()
                raise PostgresClusterError(f"{program} failed ({done.returncode}): {text}")


def _server_account(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise PostgresClusterError(
            f"running as root needs the '{name}' user to run initdb; {MISSING_BINARIES}"
        ) from None


def main(argv: list[str] | None = None) -> int:
    """`start --state-file F` prints the URL and leaves the cluster running; `stop` ends it."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.pg_cluster",
                                     description="Start or stop a throwaway PostgreSQL cluster.")
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--state-file", required=True, type=Path,
                        help="JSON file written by start and read by stop")
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            cluster = PostgresCluster().start()
            args.state_file.write_text(json.dumps(asdict(cluster.state())))
            args.state_file.chmod(0o600)  # it holds the password
            print(cluster.url)
        elif args.state_file.exists():
            state = ClusterState(**json.loads(args.state_file.read_text()))
            PostgresCluster.from_state(state).stop()
            args.state_file.unlink()
    except PostgresClusterError as exc:
        print(f"pg_cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
