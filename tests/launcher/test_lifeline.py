"""`tipro run` owns its children: a dead worker is restarted, and nothing outlives the launcher.

Every process the launcher starts (the worker, the worker's work horse and scheduler)
inherits a marker in its environment, so a survivor is found wherever it went — even a child
forked a moment before the launcher was killed, that no walk of the process tree would have
seen. Redis overwrites its environment with its process title, which names the instance
folder: that marks it.
"""

from __future__ import annotations

import os
import secrets
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.procs import parent, wait_for
from tests.race import free_port

pytestmark = pytest.mark.slow

MARK = "TIPRO_TEST_LIFELINE"


def _marked(mark: str, folder: Path) -> set[int]:
    """Live (non-zombie) processes carrying the marker, or naming the instance folder."""
    needle, place = f"{MARK}={mark}".encode(), str(folder).encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            if needle not in environ and place not in (entry / "cmdline").read_bytes():
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.add(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Launch:
    """`tipro run` in a fresh instance folder, marked."""

    def __init__(self, tmp_path: Path, *, worker: bool = True) -> None:
        self.mark = secrets.token_hex(6)
        self.instance = tmp_path / "instance"
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIPRO_")}
        env.update(
            {MARK: self.mark},
            TIPRO_INSTANCE_PATH=str(self.instance),
            TIPRO_SECRET_KEY="lifeline",
            PYTHONUNBUFFERED="1",
        )
        args = [sys.executable, "-m", "tipro", "run", "--port", str(self.port)]
        if not worker:
            args.append("--no-worker")
        self.process = subprocess.Popen(
            args,
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_up(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "tipro run exited"
            try:
                url = f"http://127.0.0.1:{self.port}/logg-inn"
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError("tipro run did not answer")

    def workers(self) -> set[int]:
        """The launcher's worker processes (not their forks)."""
        return {
            pid
            for pid in _marked(self.mark, self.instance)
            if "tipro worker" in _cmdline(pid) and parent(pid) == self.process.pid
        }

    def survivors(self, seconds: float = 10) -> set[int]:
        """Marked processes still alive `seconds` after the launcher is gone."""
        self.process.wait(timeout=30)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and _marked(self.mark, self.instance):
            time.sleep(0.1)
        return _marked(self.mark, self.instance)

    def kill_all(self) -> None:
        for pid in _marked(self.mark, self.instance) | {self.process.pid}:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)


def test_a_killed_worker_is_started_again(tmp_path):
    launch = Launch(tmp_path)
    try:
        launch.wait_up()
        first = wait_for(launch.workers, 20)
        assert len(first) == 1, first
        os.kill(first.pop(), signal.SIGKILL)
        second = wait_for(lambda: launch.workers() - first, 20)
        assert len(second) == 1, "the worker was not restarted"
        launch.process.send_signal(signal.SIGTERM)
        assert launch.survivors() == set()
    finally:
        launch.kill_all()


# Moments to kill the launcher: during start-up (before, while and after it starts Redis and
# the worker), while it runs, and in the middle of a clean stop.
START_UP = [0.3, 0.7, 1.0, 1.3, 1.6, 2.0, 2.5, 3.5]


@pytest.mark.parametrize("after", START_UP, ids=[f"start+{s}s" for s in START_UP])
def test_nothing_outlives_a_launcher_killed_during_start_up(tmp_path, after):
    launch = Launch(tmp_path)
    try:
        time.sleep(after)
        launch.process.send_signal(signal.SIGKILL)
        assert launch.survivors() == set()
    finally:
        launch.kill_all()


@pytest.mark.parametrize("grace", [0.0, 0.1, 0.5, 1.0], ids=lambda s: f"stop+{s}s")
def test_nothing_outlives_a_launcher_killed_while_stopping(tmp_path, grace):
    launch = Launch(tmp_path)
    try:
        launch.wait_up()
        wait_for(launch.workers, 20)
        # `tipro demo`'s way out: SIGTERM to the launcher, SIGKILL a moment later.
        launch.process.send_signal(signal.SIGTERM)
        time.sleep(grace)
        launch.process.send_signal(signal.SIGKILL)
        assert launch.survivors() == set()
    finally:
        launch.kill_all()


def test_nothing_outlives_a_launcher_killed_after_its_folder_was_deleted(tmp_path):
    """The orphan once seen: Redis told to stop could not save into a deleted folder."""
    import shutil

    launch = Launch(tmp_path)
    try:
        launch.wait_up()
        wait_for(launch.workers, 20)
        shutil.rmtree(launch.instance)
        launch.process.send_signal(signal.SIGKILL)
        assert launch.survivors() == set()
    finally:
        launch.kill_all()


def test_the_database_file_is_private(tmp_path):
    launch = Launch(tmp_path, worker=False)
    try:
        launch.wait_up()
        requests.get(f"http://127.0.0.1:{launch.port}/logg-inn", timeout=5)
        files = [launch.instance / name for name in ("tipro.sqlite", "tipro.sqlite-wal")]
        files.append(launch.instance / "tipro.sqlite-shm")
        assert files[0].exists()
        for path in files:
            if path.exists():
                mode = stat.S_IMODE(path.stat().st_mode)
                assert mode & 0o077 == 0, f"{path.name} is {oct(mode)}"
    finally:
        launch.process.send_signal(signal.SIGTERM)
        launch.process.wait(timeout=30)
        launch.kill_all()
