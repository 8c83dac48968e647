"""What the side-by-side comparison scripts share: how busy the machine was while they ran,
and how their tables print numbers and ratios. Standard library only."""

import os
import resource
import statistics
import time
from pathlib import Path


def load_average():
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def cpu_seconds():
    """(busy, steal) CPU-seconds of the whole machine since boot, from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def wait_until_idle(limit_s):
    """Waits until the machine's CPUs are under 10 % busy over 3 s, or limit_s passed.
    Returns (seconds waited, busy share of the last look)."""
    started = time.monotonic()
    while True:
        before = cpu_seconds()
        time.sleep(3)
        after = cpu_seconds()
        if before is None or after is None:
            return time.monotonic() - started, None
        share = (after[0] - before[0]) / (3 * (os.cpu_count() or 1))
        waited = time.monotonic() - started
        if share < 0.1 or waited >= limit_s:
            return waited, share


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fmt(value):
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def summary(values):
    return [fmt(min(values)), fmt(statistics.median(values)), fmt(max(values))]


def pairwise(numerator, denominator):
    return [a / b for a, b in zip(numerator, denominator)]


class MachineWatch:
    """Watches the machine while the cases of a comparison run (a `with` block): wall time,
    load average before and after, and the CPU time that other processes (and the
    hypervisor, as steal) took meanwhile, which is what makes multi-threaded figures on a
    small shared machine unreliable. `others` and `steal` are None where /proc cannot say."""

    def __enter__(self):
        self.load_before = load_average()
        self._machine, self._ours = cpu_seconds(), children_cpu_seconds()
        self._started = time.monotonic()
        return self

    def __exit__(self, *exception):
        self.elapsed = time.monotonic() - self._started
        machine, ours = cpu_seconds(), children_cpu_seconds()
        self.load_after = load_average()
        self.others = self.steal = None
        if self._machine and machine:
            self.others = max((machine[0] - self._machine[0]) - (ours - self._ours), 0.0)
            self.steal = machine[1] - self._machine[1]
        return False
