"""The operator's files (Procfile, compose.yaml, deploy/systemd/) parse, run the commands the
service has, and configure it with settings it accepts. No docker or systemd here: YAML and
unit files are read as text by parsers, and the settings are checked by `Settings.from_env`."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "deploy" / "systemd"
SAMPLE = {  # what an operator's .env holds, for the ${VAR:?...} references
    "POSTGRES_PASSWORD": "a-long-random-password", "STRIPE_API_KEY": "sk_test_operator",
    "STRIPE_WEBHOOK_SECRET": "whsec_operator", "STAFF_TOKENS": "alice:alice-token-0123456789",
    "PUBLIC_URL": "https://shop.example.com",
}


def interpolate(value: str) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}``, from SAMPLE."""
    def one(match: re.Match[str]) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3) or ""
        if name in SAMPLE:
            return SAMPLE[name]
        assert op != ":?", f"{name} is required but has no sample"
        return rest if op == ":-" else ""

    return re.sub(r"\$\{([A-Z_]+)(?:(:[-?])([^}]*))?\}", one, value)


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_postgres_the_web_process_and_a_worker_with_health_checks() -> None:
    services = compose()["services"]

    assert set(services) == {"postgres", "web", "worker"}
    assert services["web"]["command"] == ["checkout-ledger", "serve"]
    assert services["worker"]["command"] == ["checkout-ledger", "worker"]
    assert services["worker"]["environment"]["CREATE_TABLE"] == "n"
    assert services["web"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["worker"]["depends_on"]["web"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        check = " ".join(services[name]["healthcheck"]["test"])
        assert "/healthz" in check, name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["web"]["ports"] == ["127.0.0.1:4242:4242"]  # a proxy fronts it


def test_compose_settings_are_ones_the_service_accepts_and_hold_no_secret() -> None:
    services = compose()["services"]
    text = (ROOT / "compose.yaml").read_text()

    for name in ("web", "worker"):
        env = {key: interpolate(str(value)) for key, value in services[name]["environment"].items()}
        settings = Settings.from_env(env, serving=name == "web")  # raises on any bad setting
        assert settings.store.kind == "postgres"
        assert settings.store.host == "postgres"
        assert settings.create_tables is (name == "web")
    assert "sk_" not in text.replace("sk_test_...", "") and "whsec_" not in text


def test_the_procfile_has_a_web_and_a_worker_process() -> None:
    lines = [line for line in (ROOT / "Procfile").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    processes = dict(line.split(": ", 1) for line in lines)

    assert set(processes) == {"web", "worker"}
    assert processes["web"].endswith("checkout-ledger serve")
    assert processes["worker"] == "CREATE_TABLE=n checkout-ledger worker"


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file: section -> key -> every value (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            assert line.endswith("]"), (path, line)
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, (path, line)
        key, value = line.split("=", 1)
        current.setdefault(key, []).append(value)
    return sections


def test_the_systemd_units_run_serve_on_each_port_and_one_worker() -> None:
    web = unit(SYSTEMD / "checkout-ledger-web@.service")
    worker = unit(SYSTEMD / "checkout-ledger-worker.service")
    second = unit(SYSTEMD / "checkout-ledger-web@4243.service.d" / "after-the-first.conf")
    target = unit(SYSTEMD / "checkout-ledger.target")

    assert web["Service"]["ExecStart"][0].endswith("/checkout-ledger serve --no-worker")
    assert "PORT=%i" in web["Service"]["Environment"]
    assert worker["Service"]["ExecStart"][0].endswith("/checkout-ledger worker")
    assert "CREATE_TABLE=n" in worker["Service"]["Environment"]
    assert "CREATE_TABLE=n" in second["Service"]["Environment"]
    assert second["Unit"]["After"] == ["checkout-ledger-web@4242.service"]
    for service in (web, worker):
        assert service["Service"]["Restart"] == ["always"]
        assert service["Install"]["WantedBy"] == ["checkout-ledger.target"]
    wanted = target["Unit"]["Wants"][0].split()
    assert wanted == ["checkout-ledger-web@4242.service", "checkout-ledger-web@4243.service",
                      "checkout-ledger-worker.service"]


def test_the_image_runs_serve() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert 'CMD ["checkout-ledger", "serve"]' in dockerfile
    assert "USER ledger" in dockerfile
