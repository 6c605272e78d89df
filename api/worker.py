"""``checkout-ledger worker``: the background processing, in a process of its own.

Webhook ingestion and the processing that follows it compete for one interpreter
lock when they share a process; ``serve`` therefore runs this worker beside the web
process (except on the in-memory store, which only one process can see).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading

from adapters.heap import freeze_startup_heap
from api.settings import Settings
from api.system import build

log = logging.getLogger(__name__)
# How long a worker may miss an event written by another process: it is woken by each
# commit's NOTIFY (PostgreSQL) or a changed file (SQLite, checked every 25 ms), and polls as
# a fallback.
FALLBACK_POLL_SECONDS = 1.0
# Stopping waits for the runners for STOP_SECONDS (api.system); past this, the process ends.
HARD_STOP_SECONDS = 15.0


def run_worker(settings: Settings) -> None:
    """Follow the inbox until SIGTERM or SIGINT."""
    with _StopSignal() as stop_signal:
        yield_cpu(settings.worker_nice)  # before any thread starts: they inherit it
        services = build(settings, poll_interval=FALLBACK_POLL_SECONDS)
        try:
            services.start(follow=True)
            freeze_startup_heap()
            log.info("worker following the inbox (pid %d)", os.getpid())
            stop_signal.wait()
        finally:
            # Whatever holds the stop up (a store that does not answer), the worker ends.
            watchdog = threading.Timer(HARD_STOP_SECONDS, _leave_now)
            watchdog.daemon = True
            watchdog.start()
            busy = services.stop()
    if busy or _other_threads():
        # Threads inside a hung Stripe call would hold the exit up for minutes (the
        # interpreter joins the fulfillment pool's threads): leave without them. Nothing
        # is lost: their work is committed, or redone by the next worker, as after kill -9.
        log.warning("worker leaving threads behind: %s", ", ".join(busy + _other_threads()))
        logging.shutdown()
        os._exit(0)


class _StopSignal:
    """SIGTERM or SIGINT, waited for in the main thread, while in a ``with`` block.

    The handler itself does nothing: Python's C-level handler writes the signal's number to
    a socket, which :meth:`wait` reads. (A handler that set a ``threading.Event`` hung the
    worker for good when a second signal came while the first was being handled, as when
    the operator and the dying parent's ``PR_SET_PDEATHSIG`` both send one: the handler
    waited on a lock its own thread held.)

    Leaving the block gives both signals their default action back (one sent after the
    stop ends the process at once, its work done) and only then closes the socket. Left
    open to the garbage collector, a signal written to its closed descriptor is reported
    as an ``OSError`` raised in the main thread wherever it happens to be, even inside a
    lock's bookkeeping, and a lock left held hung the worker.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __enter__(self) -> _StopSignal:
        self._read, self._write = socket.socketpair()
        self._write.setblocking(False)
        signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        for sig in self.SIGNALS:
            signal.signal(sig, lambda *_: None)
        return self

    def __exit__(self, *_: object) -> None:
        for sig in self.SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        self._read.close()
        self._write.close()

    def wait(self) -> int:
        """Block until one of the signals arrives (or arrived since the block began)."""
        while True:
            for number in self._read.recv(64):
                if number in self.SIGNALS:
                    return number


def yield_cpu(niceness: int) -> None:
    """Run this process (the threads it starts from now on) at ``niceness``: above 0, when
    the web processes and the worker want the same cores, webhooks are answered first and
    the worker catches up after (its lag grows meanwhile). On an idle machine it changes
    nothing. A process already nicer keeps its own niceness."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if niceness > current:
        os.setpriority(os.PRIO_PROCESS, 0, niceness)


def _leave_now() -> None:
    log.error("worker still stopping after %.0f s; leaving now", HARD_STOP_SECONDS)
    logging.shutdown()
    os._exit(1)


def _other_threads() -> list[str]:
    """The threads that would keep this process from ending (not daemons)."""
    return [t.name for t in threading.enumerate()
            if t.is_alive() and not t.daemon and t is not threading.main_thread()]


class WorkerSupervisor:
    """Keeps one worker process running beside the web process: a worker that dies is
    started again (after a pause that grows while it keeps dying), so processing never
    stops silently while webhooks are still being acknowledged."""

    def __init__(self, settings: Settings, check_every: float = 1.0) -> None:
        self.settings = settings
        self.check_every = check_every
        self.process = spawn_worker(settings)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        pause = self.check_every
        while not self._stopping.wait(self.check_every):
            code = self.process.poll()
            if code is None:
                pause = self.check_every
                continue
            log.error("worker process %d exited with %s; starting another in %.0f s",
                      self.process.pid, code, pause)
            if self._stopping.wait(pause):
                return
            self.process = spawn_worker(self.settings)
            pause = min(pause * 2, 60.0)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()


def spawn_worker(settings: Settings) -> subprocess.Popen[bytes]:
    """Start ``checkout-ledger worker`` with the same settings, as a child process that
    ends with its parent, however the parent ends (uvicorn re-raises SIGTERM after its
    own shutdown, so a ``finally`` in the parent is not enough)."""
    env = {**os.environ, **settings.to_env()}
    return subprocess.Popen([sys.executable, "-m", "api", "worker"], env=env,
                            preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this (child) process when its parent dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the parent's finally still stops it
        pass


PR_SET_PDEATHSIG = 1
