"""Looking at processes through /proc, for tests that prove no process is left behind."""

from __future__ import annotations

import time
from pathlib import Path


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def parent(pid: int) -> int:
    """The parent's pid (0 when the process is gone)."""
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else 0


def children(pid: int) -> set[int]:
    """The direct children of a process."""
    pids = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return {child for child in pids if parent(child) == pid}


def descendants(pid: int) -> set[int]:
    """All processes below `pid` (one walk over /proc), so a test can prove none survive."""
    below: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            below.setdefault(parent(int(entry.name)), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in below.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def wait_for(condition, seconds: float, poll: float = 0.1):
    """condition()'s first true value within `seconds`, else its last value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    return condition()
