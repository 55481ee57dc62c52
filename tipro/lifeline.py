"""Child processes that die with their parent, however the parent dies (Linux).

The launcher's children (embedded Redis, the worker) and the worker's own forks (the work
horse running a job, RQ's scheduler) must never outlive the process that started them: an
orphaned Redis holds its socket, an orphaned work horse goes on writing a run that has been
given up. Each child asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG) and
then checks that the parent is still the one that forked it — a parent killed between the
fork and that request would otherwise leave the child orphaned for good.
"""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1
_libc = None


def _prctl_pdeathsig(sig: int) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL("libc.so.6", use_errno=True)
    _libc.prctl(PR_SET_PDEATHSIG, sig)


def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> None:
    """In a freshly forked child: get `sig` when the parent dies; exit now if it already has."""
    try:
        _prctl_pdeathsig(sig)
    except OSError:
        return  # not Linux: nothing to ask for
    if os.getppid() != parent_pid:
        os._exit(1)  # the parent died before the request took effect


def preexec(sig: int = signal.SIGKILL):
    """A `preexec_fn` for subprocess.Popen: the child dies with this process (survives exec)."""
    parent = os.getpid()
    return lambda: die_with_parent(parent, sig)


_forker: int | None = None


def _before_fork() -> None:
    global _forker
    _forker = os.getpid()


def _after_fork_in_child() -> None:
    if _forker is not None:
        die_with_parent(_forker)


_installed = False


def forks_die_with_parent() -> None:
    """From now on every os.fork() child of this process dies with the process that forked it."""
    global _installed
    if not _installed:
        os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
        _installed = True
