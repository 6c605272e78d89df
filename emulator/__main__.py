"""``python -m emulator [--host 127.0.0.1] [--port 12111]``: serve the emulator until Ctrl-C."""

from __future__ import annotations

import argparse

import uvicorn

from emulator.app import create_app
from emulator.config import EmulatorConfig
from emulator.server import bind_socket


def main(host: str = "127.0.0.1", port: int = 12111, config: EmulatorConfig | None = None) -> None:
    """Serve the emulator in the foreground (``checkout-ledger emulator`` calls this).
    The socket is bound first, so the line printed names the port really bound (``0``
    picks a free one)."""
    try:
        sock = bind_socket(host, port)
    except OSError as error:
        raise SystemExit(f"emulator: cannot listen on {host}:{port}: "
                         f"{error.strerror or error}") from None
    port = sock.getsockname()[1]
    print(f"Stripe emulator on http://{host}:{port} (API base for the SDK; any sk_test_ key)",
          flush=True)
    config_ = uvicorn.Config(create_app(config), host=host, port=port, log_level="info")
    uvicorn.Server(config_).run(sockets=[sock])


def _cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    args = parser.parse_args(argv)
    main(args.host, args.port)


if __name__ == "__main__":
    _cli()
