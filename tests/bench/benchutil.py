# SPDX-License-Identifier: MIT
"""What the benchmarks share: the header every run prints (the commit and
date the figures belong to, the machine), contenders run interleaved round by
round (A B C A B C ...: a machine whose speed drifts during a run drifts for
all of them), and medians (every ratio and every floor from the same
statistic as what it is compared with)."""
import os
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
ENV = dict(os.environ, NO_PROXY="*", no_proxy="*", DOCKER_CONFIG="/nonexistent")


def header(what):
    """Prints what the figures belong to: the commit (and whether the tree had changes), the date, the CPUs."""
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True).stdout.strip()
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print("%s: commit %s%s, %s, %d CPUs (%s), load %.2f" %
          (what, commit, " (with uncommitted changes)" if dirty else "", time.strftime("%Y-%m-%d %H:%M"),
           os.cpu_count(), model, os.getloadavg()[0]))


class Result:
    def __init__(self, wall, cpu=0.0, rss=0, extra=0.0):
        self.wall, self.cpu, self.rss, self.extra = wall, cpu, rss, extra


def measure(build, cmd, cwd=None, env=None):
    """Wall time, CPU time (the command and its children) and peak RSS (bytes), through peak_rss."""
    start = time.perf_counter()
    p = subprocess.run([os.path.join(build, "tests", "peak_rss")] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=env or ENV, text=True, cwd=cwd)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd[:3]), p.stderr[-2000:]))
    fields = p.stderr.strip().splitlines()[-1].split()
    return Result(wall, float(fields[3]), int(fields[1]) * 1024)


def timed(cmd, env=None):
    """Wall time of a command (no peak_rss)."""
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env or ENV, text=True)
    took = time.perf_counter() - start
    if p.returncode:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd[:3]), p.stderr[-2000:]))
    return Result(took)


def interleaved(rounds, contenders, work=None, keep=False):
    """Runs each contender once per round, in turn: contenders is [(label, run)],
    run(scratch_dir) -> Result. Returns {label: [Result per round]}. With @keep
    the scratch directories stay (in @work) until the caller removes them: on
    ext4, deleting many files slows the next run's file creation for ~30 s."""
    out = {label: [] for label, _ in contenders}
    for _ in range(rounds):
        for label, run in contenders:
            d = tempfile.mkdtemp(dir=work, prefix="limg-bench-")
            try:
                out[label].append(run(d))
            finally:
                if not keep:
                    subprocess.run(["rm", "-rf", d])
    return out


def median(results, field="wall"):
    return statistics.median(getattr(r, field) for r in results)


def best(results, field="wall"):
    return min(getattr(r, field) for r in results)
