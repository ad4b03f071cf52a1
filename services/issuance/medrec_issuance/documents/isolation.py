"""What keeps a render child away from its worker's secrets (Linux; elsewhere nothing).

The child runs as the worker's uid, and a process may read the environment and memory of
another of its uid (`/proc/<pid>/environ`, `/proc/<pid>/mem`): the worker's content keys,
service secret and S3 keys. Two locks, because either alone fails somewhere:

- the worker makes itself non-dumpable (`hide_from_same_uid`): then only a holder of
  CAP_SYS_PTRACE may read it, whatever its uid;
- the child gives up every capability and the means to gain one (`drop_privileges`) before it
  reads its job: as root (a container started as root, the tests) it would otherwise hold
  CAP_SYS_PTRACE, which passes the first lock. In Kubernetes the worker already runs as a
  non-root user without capabilities (deploy/k8s), and this changes nothing.

Switching the child to another uid would also do, but it needs the interpreter and the fonts
readable by that uid and CAP_SETUID in the worker, which the manifests drop.
"""

import ctypes
import sys
from pathlib import Path
from typing import Final

_PR_SET_DUMPABLE: Final = 4
_PR_CAPBSET_READ: Final = 23
_PR_CAPBSET_DROP: Final = 24
_PR_SET_NO_NEW_PRIVS: Final = 38
_PR_CAP_AMBIENT: Final = 47
_PR_CAP_AMBIENT_CLEAR_ALL: Final = 4
_CAPABILITY_VERSION_3: Final = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _checked(result: int, what: str) -> None:
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what} failed")


def hide_from_same_uid() -> None:
    """This process's environment and memory readable by no process of its uid without
    CAP_SYS_PTRACE (and no core dump). Kept across fork, reset by exec: the children it starts
    are dumpable, and hold only what they are sent."""
    if sys.platform == "linux":
        _checked(_libc().prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0), "PR_SET_DUMPABLE")


def drop_privileges() -> None:
    """No capability left, none to be gained by exec (no_new_privs), none in the bounding set
    where this process may still drop it. Fails loudly: a child that cannot confine itself must
    not render."""
    if sys.platform != "linux":
        return
    libc = _libc()
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for capability in range(last + 1):
        # Dropping from the bounding set takes CAP_SETPCAP: a process without it (a non-root
        # worker) has no capability to drop anyway, and no_new_privs keeps exec from adding any.
        if libc.prctl(_PR_CAPBSET_READ, capability, 0, 0, 0) == 1:
            libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0)
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)  # EINVAL before Linux 4.3
    _checked(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "PR_SET_NO_NEW_PRIVS")
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    nothing = (_CapData * 2)()  # two 32-bit words of each set, all zero
    _checked(libc.capset(ctypes.byref(header), nothing), "capset")
