"""Settings, read once from the environment and validated before anything starts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from adapters.fulfillers import load_fulfiller
from adapters.notifiers import SmtpNotifier
from adapters.stores import DEFAULT_DATABASE_URL, Store
from domain.model.dunning import Dunning, parse_duration, parse_schedule


class SettingsError(Exception):
    """One or more settings are missing or malformed; ``problems`` has one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """Everything the service is configured with (see the README's settings table)."""

    store: Store
    stripe_api_key: str | None = None
    webhook_secrets: tuple[str, ...] = ()
    stripe_api_base: str | None = None
    staff_tokens: dict[str, str] = field(default_factory=dict)  # token -> staff name
    host: str = "127.0.0.1"
    port: int = 4242
    public_url: str = "http://127.0.0.1:4242"
    test_clock: bool = False
    fulfiller: str | None = None
    smtp_url: str | None = None
    mail_from: str = "checkout-ledger@localhost"
    emulator_url: str | None = None  # set by local mode
    create_tables: bool = True  # CREATE_TABLE=n: the tables exist (extra worker processes)
    dunning: Dunning = field(default_factory=Dunning)  # DUNNING_SCHEDULE, DUNNING_FINAL
    grace_period: timedelta = timedelta(days=3)  # GRACE_PERIOD: past due, still entitled
    reconcile_every: float | None = None  # seconds between scheduled reconciliations
    worker_nice: int = 0  # WORKER_NICE: > 0, the worker yields the CPU to the web processes

    @property
    def local_mode(self) -> bool:
        """No Stripe key: the service runs against the project's own Stripe emulator."""
        return self.stripe_api_key is None

    def to_env(self) -> dict[str, str]:
        """These settings as environment variables (for a worker process)."""
        env = {
            "DATABASE_URL": self.store.url,
            "STRIPE_WEBHOOK_SECRET": ",".join(self.webhook_secrets),
            "STAFF_TOKENS": ",".join(f"{name}:{token}" for token, name in self.staff_tokens.items()),
            "HOST": self.host,
            "PORT": str(self.port),
            "PUBLIC_URL": self.public_url,
            "TEST_CLOCK": "1" if self.test_clock else "",
            "FULFILLER": self.fulfiller or "",
            "SMTP_URL": self.smtp_url or "",
            "MAIL_FROM": self.mail_from,
            "CREATE_TABLE": "y" if self.create_tables else "n",
            "DUNNING_SCHEDULE": ",".join(f"{s}s" for s in self.dunning.schedule),
            "DUNNING_FINAL": self.dunning.final,
            "GRACE_PERIOD": f"{int(self.grace_period.total_seconds())}s",
            "RECONCILE_EVERY": f"{self.reconcile_every:g}s" if self.reconcile_every else "off",
            "WORKER_NICE": str(self.worker_nice),
        }
        if self.stripe_api_key:
            env["STRIPE_API_KEY"] = self.stripe_api_key
        if self.stripe_api_base:
            env["STRIPE_API_BASE"] = self.stripe_api_base
        return env

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, serving: bool = True) -> Settings:
        """Read and check every setting; raise :class:`SettingsError` listing all problems."""
        env = os.environ if env is None else env
        problems: list[str] = []
        value = _Reader(env, problems)

        store = value.parse("DATABASE_URL", DEFAULT_DATABASE_URL, Store.from_url)
        api_key = env.get("STRIPE_API_KEY") or None
        if api_key is not None and not api_key.startswith(("sk_test_", "sk_live_", "rk_test_",
                                                            "rk_live_")):
            problems.append("STRIPE_API_KEY: must be a secret (sk_...) or restricted (rk_...) key")
        secrets = tuple(s.strip() for s in env.get("STRIPE_WEBHOOK_SECRET", "").split(",")
                        if s.strip())
        if any(not s.startswith("whsec_") for s in secrets):
            problems.append("STRIPE_WEBHOOK_SECRET: every secret must start with whsec_")
        if serving and api_key is not None and not secrets:
            problems.append("STRIPE_WEBHOOK_SECRET: required unless in local mode "
                            "(set it to the endpoint's whsec_... signing secret)")
        api_base = env.get("STRIPE_API_BASE") or None
        if api_base is not None:
            value.check_url("STRIPE_API_BASE", api_base)
        tokens = value.parse("STAFF_TOKENS", "", _staff_tokens)
        host = env.get("HOST") or "127.0.0.1"
        port = value.parse("PORT", "4242", _port)
        public_url = (env.get("PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/")
        value.check_url("PUBLIC_URL", public_url)
        test_clock = value.parse("TEST_CLOCK", "", _flag)
        if test_clock and api_key is not None and "_live_" in api_key:
            problems.append("TEST_CLOCK: never allowed with a live-mode Stripe key")
        fulfiller = env.get("FULFILLER") or None
        if fulfiller is not None:
            value.parse("FULFILLER", fulfiller, load_fulfiller)
        smtp_url = env.get("SMTP_URL") or None
        if smtp_url is not None:
            value.parse("SMTP_URL", smtp_url, SmtpNotifier)
        create_tables = value.parse("CREATE_TABLE", "y", _yes_no)
        schedule = value.parse("DUNNING_SCHEDULE", "1d,3d,5d", parse_schedule)
        final = value.parse("DUNNING_FINAL", "unpaid", _final_status)
        grace = value.parse("GRACE_PERIOD", "3d", parse_duration)
        # Off by default in local mode: the emulator lives and dies with the service.
        reconcile_every = value.parse("RECONCILE_EVERY", "off" if api_key is None else "10m",
                                      _duration)
        worker_nice = value.parse("WORKER_NICE", "0", _nice)
        if problems:
            raise SettingsError(problems)
        return cls(
            store=store, stripe_api_key=api_key, webhook_secrets=secrets,
            stripe_api_base=api_base, staff_tokens=tokens or {}, host=host, port=port or 4242,
            public_url=public_url, test_clock=bool(test_clock), fulfiller=fulfiller,
            smtp_url=smtp_url, mail_from=env.get("MAIL_FROM") or "checkout-ledger@localhost",
            create_tables=bool(create_tables), reconcile_every=reconcile_every,
            dunning=Dunning(schedule, final), grace_period=timedelta(seconds=grace),
            worker_nice=worker_nice,
        )


class _Reader:
    def __init__(self, env: Mapping[str, str], problems: list[str]) -> None:
        self.env = env
        self.problems = problems

    def parse(self, name: str, default: str, parse):  # type: ignore[no-untyped-def]
        raw = self.env.get(name) or default
        try:
            return parse(raw)
        except ValueError as error:
            self.problems.append(f"{name}: {error}")
            return None

    def check_url(self, name: str, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.problems.append(f"{name}: must be an http:// or https:// URL, got {url!r}")


def _staff_tokens(raw: str) -> dict[str, str]:
    tokens: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in raw.split(","))):
        name, sep, token = pair.partition(":")
        if not sep or not name.strip() or not token.strip():
            raise ValueError(f"expected comma-separated name:token pairs, got {pair!r}")
        if len(token.strip()) < 12:
            raise ValueError(f"the token of {name.strip()!r} is shorter than 12 characters")
        tokens[token.strip()] = name.strip()
    return tokens


def _final_status(raw: str) -> str:
    if raw not in ("unpaid", "canceled"):
        raise ValueError(f"must be unpaid or canceled, got {raw!r}")
    return raw


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"must be a port number (1-65535), got {raw!r}")
    return int(raw)


def _nice(raw: str) -> int:
    if not raw.strip().isdigit() or int(raw) > 19:
        raise ValueError(f"must be a niceness from 0 (none) to 19, got {raw!r}")
    return int(raw)


def _yes_no(raw: str) -> bool:
    if raw.lower() not in ("y", "n", "yes", "no", "1", "0", "true", "false"):
        raise ValueError(f"must be y or n, got {raw!r}")
    return raw.lower() in ("y", "yes", "1", "true")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(raw: str) -> float | None:
    """``10m``, ``30s``, ``1h``, a number of seconds, or ``off`` / ``0`` (None)."""
    text = raw.strip().lower()
    if text in ("off", "0", "no", "n"):
        return None
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS else (text, "s")
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        raise ValueError(f"must be a duration such as 10m, 30s or 1h, or off; got {raw!r}") \
            from None
    if not 1 <= seconds <= 30 * 86400:
        raise ValueError(f"must be from 1s to 30d (or off), got {raw!r}")
    return seconds


def _flag(raw: str) -> bool:
    if raw not in ("", "0", "1"):
        raise ValueError(f"must be 1 or unset, got {raw!r}")
    return raw == "1"
