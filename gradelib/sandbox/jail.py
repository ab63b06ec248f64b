"""Inside the submission's namespaces, as root for a moment: build its view of the machine, then drop privileges.

Runs as PID 1 of a fresh PID, mount, network, IPC and UTS namespace (made by util-linux's ``unshare``
on behalf of :mod:`gradelib.sandbox.launch`). :func:`enter`:

1. builds a new root on a tmpfs holding, read-only, only what Python needs (the system folders,
   the interpreter's prefixes, the installed packages, the public gradelib package and the course's
   public datasets folder), a private ``/proc`` of the new PID namespace, a few devices (and the
   GPU's, when there is one) and a private, size-limited ``/tmp`` that is also the working folder;
2. joins the grading's cgroup (when the grader made one) and sets the resource limits;
3. changes root into the new view and becomes an unprivileged user with no capabilities and
   ``no_new_privs``.

The course tree (solutions, hidden tests, calibration, git history), the grader's files and the
results are simply not in that view. When PID 1 ends, the kernel ends every process of the namespace,
``setsid`` daemons included, and the private mounts vanish with it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
import sys

__all__ = ["enter"]

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_PR_SET_NO_NEW_PRIVS = 38
_SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
_DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {source} on {target}")


def _bind(root: str, path: str, *, writable: bool = False) -> None:
    """Bind ``path`` at the same place inside ``root`` (read-only unless asked), keeping symlinks as symlinks."""
    if not os.path.lexists(path):
        return
    target = root + path
    if os.path.islink(path):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.symlink(os.readlink(path), target)
        return
    if os.path.isdir(path):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, "w").close()
    _mount(path, target, None, _MS_BIND | _MS_REC)
    flags = _MS_BIND | _MS_REMOUNT | _MS_NOSUID | (0 if writable else _MS_RDONLY)
    if not path.startswith("/dev"):
        flags |= _MS_NODEV
    _mount(path, target, None, flags)


def enter(config: dict) -> None:
    """Make this process (PID 1 of the new namespaces, still root) a contained, unprivileged submission process.

    Args:
        config: ``root`` (an empty folder for the new root), ``visible`` (paths to show read-only),
            ``uid``/``gid``, ``scratch_mb``, ``file_size_mb``, ``processes``, ``cgroup_procs`` (files to
            write this PID into, or []), ``gpu`` (bind the NVIDIA devices).
    """
    root = config["root"]
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=16m")
    # The private /tmp first: a visible path below /tmp (a checkout or an environment there) is bound on top of it.
    os.makedirs(root + "/tmp", exist_ok=True)
    _mount("tmpfs", root + "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, f"mode=1777,size={int(config['scratch_mb'])}m")
    for path in (*_SYSTEM_FOLDERS, *config["visible"]):
        _bind(root, os.path.normpath(path))
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("proc", root + "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    _bind(root, "/sys")
    _make_dev(root, gpu=bool(config.get("gpu")))
    _mount("none", root, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)  # the new root itself
    for procs in config.get("cgroup_procs", []):
        with open(procs, "w") as stream:
            stream.write(str(os.getpid()))
    os.chroot(root)
    os.chdir("/tmp")
    _limit(resource.RLIMIT_NPROC, int(config["processes"]))
    _limit(resource.RLIMIT_FSIZE, int(config["file_size_mb"]) * 2**20)
    _limit(resource.RLIMIT_NOFILE, 4096)
    _limit(resource.RLIMIT_CORE, 0)
    if float(config.get("address_space_gb") or 0) > 0:
        _limit(resource.RLIMIT_AS, int(float(config["address_space_gb"]) * 2**30))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing past the limit fails with an error instead
    uid, gid = int(config["uid"]), int(config["gid"])
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(no_new_privs)")
    if os.getuid() == 0 or os.geteuid() == 0:  # pragma: no cover - setresuid failed silently
        raise OSError("could not drop root")


def _make_dev(root: str, *, gpu: bool) -> None:
    dev = root + "/dev"
    os.makedirs(dev, exist_ok=True)
    _mount("tmpfs", dev, "tmpfs", _MS_NOSUID, "mode=0755,size=1m")
    for name in _DEVICES:
        _bind(root, f"/dev/{name}", writable=True)
    if gpu:
        for name in sorted(os.listdir("/dev")):
            if name.startswith("nvidia"):
                _bind(root, f"/dev/{name}", writable=True)
    os.makedirs(dev + "/shm", exist_ok=True)
    _mount("tmpfs", dev + "/shm", "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=1777,size=64m")
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")


def _limit(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(which, (value, value))


if __name__ == "__main__":  # pragma: no cover
    sys.exit("gradelib.sandbox.jail is started by gradelib.sandbox.launch")
