"""What a real node's processes and mounts leave behind when they are stopped by force, and
its removal: containerd shims and the containers below them, and mount points under the
node's directories. Called by `realnode.py` on `down` and before a new node starts.
"""

import contextlib
import os
import signal
import subprocess
from pathlib import Path

from kintern.devcluster.realnode_config import NodePaths, RealNodeError


def kill_shims(paths: NodePaths) -> None:
    """SIGKILL the containerd shims of this node and every process below them: what is
    left when containerd died before it could stop its containers."""
    shims = [
        pid
        for pid, argv in _processes()
        if Path(argv[0]).name.startswith("containerd-shim") and str(paths.socket) in argv
    ]
    doomed = set(shims)
    for pid in shims:
        doomed |= _descendants(pid)
    for pid in doomed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _processes() -> list[tuple[int, list[str]]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                if argv and argv[0]:
                    found.append((int(entry.name), [a.decode(errors="replace") for a in argv]))
    return found


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _mounts_under(roots: list[Path]) -> list[str]:
    """Mount points below any of `roots`, deepest first (mountinfo's 5th field)."""
    prefixes = [str(r.resolve()) for r in roots]
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if any(point == p or point.startswith(p + "/") for p in prefixes):
            found.append(point)
    return sorted(set(found), key=len, reverse=True)


def unmount_all(roots: list[Path]) -> None:
    for point in _mounts_under(roots):
        if subprocess.run(["umount", point], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    left = _mounts_under(roots)
    if left:
        raise RealNodeError(f"could not unmount {', '.join(left)}; remove them by hand")
