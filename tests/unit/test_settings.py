from __future__ import annotations

import pytest

from api.settings import Settings, SettingsError

GOOD = {"STRIPE_API_KEY": "sk_test_abc", "STRIPE_WEBHOOK_SECRET": "whsec_a"}


def problems(env: dict[str, str], *, serving: bool = True) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env, serving=serving)
    return caught.value.problems


def test_defaults_are_the_embedded_sqlite_store_and_local_mode() -> None:
    settings = Settings.from_env({})

    assert settings.local_mode
    assert settings.store.kind == "sqlite" and str(settings.store.path) == "var/ledger.sqlite3"
    assert (settings.host, settings.port, settings.public_url) == (
        "127.0.0.1", 4242, "http://127.0.0.1:4242")


def test_every_problem_is_reported_at_once_one_line_each_naming_its_variable() -> None:
    found = problems({"STRIPE_API_KEY": "pk_live_x", "PORT": "99999", "DATABASE_URL": "mysql://x",
                      "STAFF_TOKENS": "alice", "TEST_CLOCK": "yes", "PUBLIC_URL": "ftp://x"})

    names = [line.split(":")[0] for line in found]
    assert names == ["DATABASE_URL", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "STAFF_TOKENS",
                     "PORT", "PUBLIC_URL", "TEST_CLOCK"]
    assert all("\n" not in line for line in found)


def test_a_webhook_secret_is_required_with_a_stripe_key_only_when_serving() -> None:
    assert any(p.startswith("STRIPE_WEBHOOK_SECRET") for p in problems({"STRIPE_API_KEY": "sk_test_a"}))
    assert Settings.from_env({"STRIPE_API_KEY": "sk_test_a"}, serving=False).webhook_secrets == ()


def test_several_webhook_secrets_are_accepted_for_rotation() -> None:
    settings = Settings.from_env({**GOOD, "STRIPE_WEBHOOK_SECRET": "whsec_new, whsec_old"})

    assert settings.webhook_secrets == ("whsec_new", "whsec_old")


@pytest.mark.parametrize("secrets", ["whsec_a,sk_test_b", "secret"])
def test_webhook_secrets_must_look_like_stripe_signing_secrets(secrets: str) -> None:
    assert problems({**GOOD, "STRIPE_WEBHOOK_SECRET": secrets})[0].startswith("STRIPE_WEBHOOK_SECRET")


def test_staff_tokens_map_each_token_to_a_name() -> None:
    settings = Settings.from_env({**GOOD, "STAFF_TOKENS": "alice:aaaaaaaaaaaa1, bob:bbbbbbbbbbbb2"})

    assert settings.staff_tokens == {"aaaaaaaaaaaa1": "alice", "bbbbbbbbbbbb2": "bob"}


@pytest.mark.parametrize("tokens", ["alice", "alice:", ":token-123456789", "alice:short"])
def test_malformed_staff_tokens_are_refused(tokens: str) -> None:
    assert problems({**GOOD, "STAFF_TOKENS": tokens})[0].startswith("STAFF_TOKENS")


def test_the_test_clock_is_never_allowed_with_a_live_key() -> None:
    found = problems({"STRIPE_API_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_a",
                      "TEST_CLOCK": "1"})

    assert found == ["TEST_CLOCK: never allowed with a live-mode Stripe key"]


def test_a_fulfiller_that_cannot_be_loaded_is_a_settings_problem() -> None:
    assert problems({**GOOD, "FULFILLER": "no_such_module:fulfil"})[0].startswith("FULFILLER")
    assert problems({**GOOD, "FULFILLER": "json"})[0].startswith("FULFILLER")


def test_settings_survive_the_trip_through_the_environment_to_a_worker() -> None:
    settings = Settings.from_env({**GOOD, "STAFF_TOKENS": "alice:aaaaaaaaaaaa1", "PORT": "5000",
                                  "DATABASE_URL": "memory://"})

    again = Settings.from_env(settings.to_env())

    assert again == settings


@pytest.mark.parametrize("nice", ["-1", "20", "ten", "1.5"])
def test_a_worker_niceness_outside_0_to_19_is_refused(nice: str) -> None:
    assert problems({**GOOD, "WORKER_NICE": nice}) == [
        f"WORKER_NICE: must be a niceness from 0 (none) to 19, got {nice!r}"]


def test_the_worker_runs_at_the_web_processes_priority_unless_told() -> None:
    assert Settings.from_env(GOOD).worker_nice == 0
    assert Settings.from_env({**GOOD, "WORKER_NICE": "10"}).worker_nice == 10
