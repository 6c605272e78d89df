"""``DATABASE_URL`` -> the eventsourcing settings of each application.

SQLite gives each application its own file beside the configured one (one
writer per file keeps eventsourcing's SQLite recorders apart); PostgreSQL keeps
every application in one database, each in its own tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///var/ledger.sqlite3"

# Each eventsourcing application has a connection pool of its own, in every process (eleven
# applications: docs/operations.md counts them). The pool keeps POOL_SIZE connections open
# and opens up to POOL_MAX on demand (closed again after 10 idle minutes). Only the Inbox, on
# the webhook's path, keeps several warm; four for each of the others made one `serve` (web
# process and worker) hold about 110 idle connections, more than PostgreSQL's default
# max_connections (100).
POOL_MAX = 12
POOL_SIZE = 1
WARM_POOL_SIZE = {"Inbox": 4}


def pool_settings(app_name: str) -> dict[str, str]:
    """The eventsourcing pool settings of one application on PostgreSQL."""
    size = WARM_POOL_SIZE.get(app_name, POOL_SIZE)
    return {"POSTGRES_POOL_SIZE": str(size), "POSTGRES_MAX_OVERFLOW": str(POOL_MAX - size)}


class StoreUnavailable(Exception):
    """The store cannot be used (unreachable, or not created yet); the message says where
    it looked and why, in one line."""


@dataclass(frozen=True)
class Store:
    """Where the event store lives."""

    kind: str  # "sqlite" | "postgres" | "memory"
    url: str
    path: Path | None = None
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    dbname: str = ""

    @classmethod
    def from_url(cls, url: str) -> Store:
        """Parse ``sqlite:///REL``, ``sqlite:////ABS``, ``memory://`` or ``postgresql://...``."""
        if url == "memory://":
            return cls(kind="memory", url=url)
        if url.startswith("sqlite:///"):
            path = url[len("sqlite:///"):]
            if not path or path.endswith("/"):
                raise ValueError("sqlite URL needs a file path, e.g. sqlite:///var/ledger.sqlite3")
            return cls(kind="sqlite", url=url, path=Path(path))
        parts = urlsplit(url)
        if parts.scheme in ("postgresql", "postgres"):
            dbname = parts.path.lstrip("/")
            if not parts.hostname or not dbname:
                raise ValueError("postgresql URL needs a host and a database name")
            try:
                port = parts.port or 5432
            except ValueError:
                raise ValueError("postgresql URL has an invalid port") from None
            return cls(
                kind="postgres", url=url, host=parts.hostname, port=port,
                user=unquote(parts.username or ""), password=unquote(parts.password or ""),
                dbname=unquote(dbname),
            )
        raise ValueError(
            "must be sqlite:///PATH, memory:// or postgresql://USER:PASSWORD@HOST:PORT/DBNAME"
        )

    def env_for(self, app_name: str, *, create_table: bool = True) -> dict[str, str]:
        """The eventsourcing environment of one application on this store."""
        env = {"CREATE_TABLE": "y" if create_table else "n",
               "TRANSCODER_TOPIC": "adapters.fast_json:Transcoder"}
        if self.kind == "memory":
            return {**env, "PERSISTENCE_MODULE": "eventsourcing.popo"}
        if self.kind == "sqlite":
            return {
                **env,
                "PERSISTENCE_MODULE": "adapters.sqlite_store:Factory",
                "SQLITE_DBNAME": str(self.sqlite_file(app_name)),
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        return {
            **env,
            "PERSISTENCE_MODULE": "adapters.postgres_store:Factory",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            # Also how long a request waits for a pooled connection: short, so an outage
            # is a quick 503 rather than a request Stripe gives up on.
            "POSTGRES_CONNECT_TIMEOUT": "2",
            **pool_settings(app_name),
            "POSTGRES_PRE_PING": "y",
        }

    @property
    def where(self) -> str:
        """Where the store is, for messages (never the password)."""
        if self.kind == "postgres":
            return f"postgresql://{self.host}:{self.port}/{self.dbname}"
        if self.kind == "sqlite":
            assert self.path is not None
            return str(self.path.resolve())
        return self.url

    def check_reachable(self, timeout: int = 5) -> None:
        """Raise :class:`StoreUnavailable` unless a PostgreSQL server answers (other stores
        are files or memory: nothing to reach)."""
        if self.kind != "postgres":
            return
        import psycopg  # only PostgreSQL stores need the driver

        try:
            psycopg.connect(host=self.host, port=self.port, user=self.user,
                            password=self.password, dbname=self.dbname,
                            connect_timeout=timeout).close()
        except psycopg.Error as error:
            cause = " ".join(str(error).split()) or type(error).__name__
            raise StoreUnavailable(f"cannot reach {self.where}: {cause}") from None

    def check_exists(self, app_names: tuple[str, ...]) -> None:
        """Raise :class:`StoreUnavailable` unless the store was created (reads never create
        one): the SQLite files of these applications exist, or PostgreSQL answers."""
        if self.kind == "sqlite":
            for name in app_names:
                file = self.sqlite_file(name)
                if not file.exists():
                    raise StoreUnavailable(f"no ledger database at {file.resolve()} (nothing "
                                           "recorded there yet, or a relative path read from "
                                           "another directory)")
        self.check_reachable()

    def sqlite_file(self, app_name: str) -> Path:
        assert self.path is not None
        return self.path.with_name(f"{self.path.stem}.{app_name.lower()}{self.path.suffix}")

    def prepare(self) -> None:
        """Create what the store needs on this machine (the SQLite directory)."""
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
