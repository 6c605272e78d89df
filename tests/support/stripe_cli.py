"""Running the official Stripe CLI in tests: offline, against an emulator, with its own HOME."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from api.stripe_cli import OFFLINE_ENV, installed, listen_command, trigger_command

API_KEY = "sk_test_stripe_cli_0123"


def cli_or_skip() -> Path:
    """The CLI's binary; skips (saying why) when npm or the CLI is missing."""
    binary = installed()
    if binary is None:
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed, so neither is the Stripe CLI "
                        "(apt-get install npm; make stripe-cli)")
        pytest.skip("the Stripe CLI is not installed (make stripe-cli installs it from npm)")
    return binary


class StripeCli:
    """``stripe ...`` against the emulator at ``api_base``, configured under ``home``."""

    def __init__(self, binary: Path, api_base: str, home: Path) -> None:
        self.binary = binary
        self.api_base = api_base
        home.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, **OFFLINE_ENV, "HOME": str(home),
                    "XDG_CONFIG_HOME": str(home / ".config")}
        for name in ("STRIPE_API_KEY", "STRIPE_DEVICE_NAME", "NO_PROXY", "no_proxy"):
            self.env.pop(name, None)

    def _argv(self, command: list[str]) -> list[str]:
        return [str(self.binary), *command[1:]]

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """One command, waited for; ``--api-base`` and ``--api-key`` are added."""
        argv = [str(self.binary), *args, "--api-base", self.api_base, "--api-key", API_KEY]
        return subprocess.run(argv, env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def trigger(self, event: str) -> subprocess.CompletedProcess[str]:
        argv = self._argv(trigger_command(self.api_base, API_KEY, event))
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=60,
                              check=False)

    def fixtures(self, fixture: dict[str, Any], path: Path) -> subprocess.CompletedProcess[str]:
        path.write_text(json.dumps(fixture, indent=2))
        return self.run("fixtures", str(path))

    def listen(self, forward_to: str, log: Path) -> subprocess.Popen[bytes]:
        """``stripe listen --forward-to``, its console in ``log``; returns once it is ready."""
        argv = self._argv(listen_command(self.api_base, API_KEY, forward_to))
        with log.open("wb") as out:
            process = subprocess.Popen(argv, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while "Ready!" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"stripe listen did not get ready:\n{log.read_text()}")
            time.sleep(0.1)
        return process
