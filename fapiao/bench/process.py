"""CPU seconds, peak resident memory and the descendants of a process, from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cpu_seconds", "peak_rss_mb", "rss_mb", "process_tree", "tree_cpu_seconds", "tree_peak_rss_mb", "alive"]


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (field 3, the state, first)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int, reaped_children: bool = False) -> float:
    """User + system CPU time the process has used so far (with `reaped_children`, plus that of its
    children that have exited and been waited for: a supervisor's members that died)."""
    fields = _stat(pid)
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM) in MiB."""
    return _status_mb(pid, "VmHWM")


def rss_mb(pid: int) -> float:
    """The process's resident set size now (VmRSS) in MiB."""
    return _status_mb(pid, "VmRSS")


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for pid {pid}")


def process_tree(pid: int) -> list[int]:
    """`pid` and every live descendant of it (a worker's supervisor and its members)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue  # gone while we looked
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and its descendants, those that exited and were waited for included."""
    return sum(cpu_seconds(p, reaped_children=True) for p in process_tree(pid) if alive(p))


def tree_peak_rss_mb(pid: int) -> float:
    """The largest peak RSS of any one process in `pid`'s tree."""
    return max(peak_rss_mb(p) for p in process_tree(pid) if alive(p))


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (dead, waiting to be reaped)."""
    try:
        return _stat(pid)[0] != "Z"
    except (OSError, IndexError):
        return False
