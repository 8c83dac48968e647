"""Side-by-side comparison of joblet's processes backend with joblib and the raw transport.

Runs a built processes_bench, the first_result program many times (each a fresh process),
and bench/joblib_processes.py in one invocation, and prints one markdown report: min /
median / max of every case, and the ratios the targets are about, each taken per repetition
pair (repetition k of one case against repetition k of the other; the CPU-bound cases of a
pair run in turn within each repetition), then summarised as min / median / max.

    /usr/bin/python3 bench/compare_processes.py build/release/bench --wait-idle 300

Standard library only. On a shared, noisy machine absolute figures drift several-fold
between runs minutes apart: read the ratios, and rerun when the report says that other
processes took CPU time while the cases ran."""

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_common import MachineWatch, fmt, pairwise, summary, wait_until_idle

JOBLIB_SCRIPT = Path(__file__).resolve().with_name("joblib_processes.py")

# The empty-task count both sides use for the auto-batching target.
AUTO_TASKS = 100_000

# (label, benchmark): rows of the empty-task table, ns per task.
EMPTY_CASES = [
    ("joblet processes n_jobs=2, auto batch", "empty/processes2_auto/tasks:10000"),
    ("joblet processes n_jobs=2, auto batch", f"empty/processes2_auto/tasks:{AUTO_TASKS}"),
    ("joblet processes n_jobs=2, auto batch", "empty/processes2_auto/tasks:1000000"),
    ("joblet processes n_jobs=2, batch_size=1", "empty/processes2_batch1/tasks:10000"),
    ("joblet processes n_jobs=2, batch_size=64", "empty/processes2_batch64/tasks:1000000"),
    ("joblet processes n_jobs=2, batch_size=1024", "empty/processes2_batch1024/tasks:1000000"),
    ("joblet processes n_jobs=2, batch_size=16384",
     "empty/processes2_batch16384/tasks:1000000"),
    ("raw socketpair, one 64-byte round trip per task", "raw/socketpair_round_trip/bytes:64"),
]
JOBLIB_EMPTY_CASES = [
    ('joblib Parallel(n_jobs=2, backend="loky"), auto batch', "empty_loky_auto"),
    ('joblib Parallel(n_jobs=2, backend="multiprocessing"), auto batch',
     "empty_multiprocessing_auto"),
    ('joblib Parallel(n_jobs=2, backend="loky", batch_size=1)', "empty_loky_batch1"),
    ('joblib Parallel(n_jobs=2, backend="multiprocessing", batch_size=1)',
     "empty_multiprocessing_batch1"),
]
# 1 MiB there and back, ms per task (per round trip for the raw case).
BLOB_CASES = [
    ("raw socketpair, 1 MiB round trip (the limit)", "raw/socketpair_round_trip/bytes:1048576"),
    ("raw socketpair, 1 MiB round trip, each reply kept in new memory",
     "raw/socketpair_round_trip_kept/tasks:64/bytes:1048576"),
    ("joblet processes n_jobs=1, batch_size=1", "blob/processes1_batch1/tasks:64/bytes:1048576"),
    ("joblet processes n_jobs=2, batch_size=1", "blob/processes2_batch1/tasks:64/bytes:1048576"),
    ("joblet processes n_jobs=2, auto batch", "blob/processes2_auto/tasks:64/bytes:1048576"),
]
JOBLIB_BLOB_CASES = [
    ('joblib loky n_jobs=2, auto batch', "blob_loky_auto"),
    ('joblib loky n_jobs=2, batch_size=1', "blob_loky_batch1"),
    ('joblib multiprocessing n_jobs=2, auto batch', "blob_multiprocessing_auto"),
    ('joblib multiprocessing n_jobs=2, batch_size=1', "blob_multiprocessing_batch1"),
]
# 1 MiB round trips timed in turn within each repetition, us per round trip or task.
BLOB_IN_TURN = "blob/in_turn/tasks:64/bytes:1048576"
BLOB_IN_TURN_CASES = [
    ("raw socketpair, 1 MiB round trip into one reused buffer (the limit)", "raw_us"),
    ("joblet processes n_jobs=1 batch_size=1, results taken one at a time (imap)", "joblet_us"),
]
SPIN = "spin/speedup/tasks:200/ms:5"
# (label, counter): the contenders of SPIN, timed in turn within each repetition.
SPIN_CASES = [
    ("joblet n_jobs=1", "jobs1_ms"),
    ("joblet processes n_jobs=2", "processes2_ms"),
    ("joblet threads n_jobs=2", "threads2_ms"),
    ("tbb::parallel_for (2 threads), simple_partitioner grain 1", "tbb_ms"),
]
JOBLIB_SPIN_CASES = [
    ("joblib n_jobs=1 (Python spin loop)", "spin_jobs1"),
    ('joblib n_jobs=2, backend="loky"', "spin_loky"),
    ('joblib n_jobs=2, backend="multiprocessing"', "spin_multiprocessing"),
]
FIRST_RESULT_TARGET_MS = 5.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench_dir", help="directory of the built processes_bench and first_result")
    parser.add_argument("--repetitions", type=int, default=10,
                        help="repetitions of every processes_bench case (default 10)")
    parser.add_argument("--min-time", type=float, default=0.1,
                        help="--benchmark_min_time of every repetition, seconds (default 0.1)")
    parser.add_argument("--first-result-runs", type=int, default=20,
                        help="fresh first_result processes per mode (default 20)")
    parser.add_argument("--joblib-repetitions", type=int, default=10)
    parser.add_argument("--joblib-first-result-runs", type=int, default=10)
    parser.add_argument("--python", default="/usr/bin/python3",
                        help="interpreter that has joblib (default /usr/bin/python3)")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                        help="first wait up to this long for the CPUs to be idle (default 0)")
    return parser.parse_args()


def run(command, env, quiet=False):
    if not quiet:
        print(f"running: {shlex.join(command)}", file=sys.stderr, flush=True)
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{shlex.join(command)} failed with exit status {done.returncode}")
    return json.loads(done.stdout)


def first_results(binary, runs, env):
    """`runs` fresh first_result processes per mode, the modes alternating, each told the
    launcher's CLOCK_MONOTONIC reading just before it was started."""
    print(f"running: {binary} 1 / 2 / 2-long, {runs} times each", file=sys.stderr, flush=True)
    results = {"1": [], "2": [], "2-long": []}
    for _ in range(runs):
        for mode, samples in results.items():
            samples.append(run([binary, mode, str(time.monotonic_ns())], env, quiet=True))
    return results


def benchmark_key(run_name):
    """'empty/processes2_auto/tasks:10000/min_time:1.000/real_time'
    -> 'empty/processes2_auto/tasks:10000'"""
    return "/".join(part for part in run_name.split("/")
                    if part != "real_time" and not part.startswith("min_time:"))


def collect_benchmarks(report):
    """Per benchmark (family and arguments): {field: [...]}, each list in repetition order;
    fields are 'per_task' (seconds) and the '<case>_ms' and '<case>_us' counters."""
    cases = {}
    runs = [b for b in report["benchmarks"] if b.get("run_type") == "iteration"]
    for bench in sorted(runs, key=lambda b: b.get("repetition_index", 0)):
        if bench.get("error_occurred"):
            sys.exit(f"{bench['name']}: {bench.get('error_message', 'error')}")
        case = cases.setdefault(benchmark_key(bench["run_name"]), {})
        for field, value in bench.items():
            if field == "per_task" or field.endswith(("_ms", "_us")):
                case.setdefault(field, []).append(value)
    return cases


def tasks_of(key):
    match = re.search(r"tasks:(\d+)", key)
    return int(match[1]) if match else 1


def main():
    args = parse_args()
    bench_dir = Path(args.bench_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBLET_")}
    bench_command = [str(bench_dir / "processes_bench"),
                     f"--benchmark_repetitions={args.repetitions}",
                     f"--benchmark_min_time={args.min_time}", "--benchmark_format=json"]
    joblib_command = [args.python, str(JOBLIB_SCRIPT), f"--tasks={AUTO_TASKS}",
                      f"--repetitions={args.joblib_repetitions}",
                      f"--first-result-runs={args.joblib_first_result_runs}"]
    first_binary = str(bench_dir / "first_result")

    idle = None
    if args.wait_idle > 0:
        print(f"waiting up to {args.wait_idle:.0f} s for idle CPUs", file=sys.stderr, flush=True)
        idle = wait_until_idle(args.wait_idle)
    with MachineWatch() as watch:
        first = first_results(first_binary, args.first_result_runs, env)
        joblib_report = run(joblib_command, env)
        bench_report = run(bench_command, env)
    elapsed, others, steal = watch.elapsed, watch.others, watch.steal
    load_before, load_after = watch.load_before, watch.load_after

    cases = collect_benchmarks(bench_report)
    joblib = {name: [us * 1e-6 for us in case["samples"]]
              for name, case in joblib_report["cases"].items()}
    joblib_spin = {name: case["samples"] for name, case in joblib_report["spin_ms"].items()}
    context = bench_report["context"]

    def per_task(key):
        return cases[key]["per_task"]

    def spin(counter):
        return cases[SPIN][counter]

    def in_turn(counter):
        return cases[BLOB_IN_TURN][counter]

    def summary_table(rows, values_of):
        """A table of min / median / max per (label, counter) row."""
        lines = ["| case | min | median | max | repetitions |", "|---|---:|---:|---:|---:|"]
        for label, counter in rows:
            values = values_of(counter)
            lines.append(f"| {label} | " + " | ".join(summary(values)) + f" | {len(values)} |")
        return lines

    out = []
    out.append("# joblet processes backend: overhead, 1 MiB round trip, first result, speed-up")
    out.append("")
    out.append("Reproduce with:")
    out.append("")
    out.append("```")
    out.append(f"cd {shlex.quote(os.getcwd())} && "
               f"{shlex.join([sys.executable, *sys.argv])}")
    out.append("```")
    out.append("")
    out.append(f"- ran: `{shlex.join(bench_command)}`, `{first_binary} 1|2|2-long <launch ns>` "
               f"{args.first_result_runs} times each, and `{shlex.join(joblib_command)}`")
    out.append(f"- {context.get('date', '?')}, {context.get('num_cpus', '?')} CPUs, "
               f"took {elapsed:.0f} s; 1-minute load average {load_before} before, "
               f"{load_after} after")
    if idle is not None:
        waited, share = idle
        share_text = "?" if share is None else f"{100 * share:.0f} %"
        out.append(f"- waited {waited:.0f} s for idle CPUs; busy {share_text} at the start")
    busy_share = None
    if others is not None:
        busy_share = max(others, 0.0) / elapsed
        out.append(f"- other processes used {max(others, 0.0):.1f} CPU-seconds during the run "
                   f"({100 * busy_share:.0f} % of one CPU on average); steal {steal:.1f} s")
    out.append(f"- Python {joblib_report['python']}, joblib {joblib_report['joblib']}; "
               f"spin calibration {context.get('spin_steps_per_ms', '?')} SplitMix64 steps/ms "
               f"(C++), {joblib_report['spin']['steps']} LCG steps per task (Python)")
    if "processes_bench_warning" in context:
        out.append(f"- **WARNING: processes_bench {context['processes_bench_warning']}**")
    if busy_share is not None and busy_share >= 0.1:
        out.append("- **WARNING: other processes took CPU time while the cases ran: "
                   "absolute figures and the speed-up are unreliable; rerun when the "
                   "machine is idle.**")
    out.append("")

    out.append("## Empty tasks (`f(i) = i`, results collected, warm workers): ns per task")
    out.append("")
    out.append("| case | tasks | min | median | max | repetitions |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for label, key in EMPTY_CASES:
        values = [s * 1e9 for s in per_task(key)]
        out.append(f"| {label} | {tasks_of(key):,} | " + " | ".join(summary(values))
                   + f" | {len(values)} |")
    for label, name in JOBLIB_EMPTY_CASES:
        values = [s * 1e9 for s in joblib[name]]
        out.append(f"| {label} | {joblib_report['tasks'][name]:,} | "
                   + " | ".join(summary(values)) + f" | {len(values)} |")
    out.append("")

    out.append("## 1 MiB argument echoed back (a worker receives it and returns it): "
               "ms per task")
    out.append("")
    out.append("| case | tasks | min | median | max | repetitions |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for label, key in BLOB_CASES:
        values = [s * 1e3 for s in per_task(key)]
        out.append(f"| {label} | {tasks_of(key)} | " + " | ".join(summary(values))
                   + f" | {len(values)} |")
    for label, name in JOBLIB_BLOB_CASES:
        values = [s * 1e3 for s in joblib[name]]
        out.append(f"| {label} | {joblib_report['tasks'][name]} | "
                   + " | ".join(summary(values)) + f" | {len(values)} |")
    out.append("")
    out.append("The target's two sides, timed in turn within each iteration (64 round trips "
               "or tasks each): us per round trip or task")
    out.append("")
    out.extend(summary_table(BLOB_IN_TURN_CASES, in_turn))
    out.append("")

    out.append("## First result of a fresh program: ms")
    out.append("")
    out.append("joblet: `first_result 1` runs 1 task on n_jobs=1 (one worker process), "
               "`first_result 2` 2 tiny tasks on n_jobs=2, `first_result 2-long` 2 tasks "
               "of 20 ms of computing on n_jobs=2; *from main* counts joblet::init, "
               "starting the workers and the first call; *from launch* adds exec, dynamic "
               "linking and static initialisation (from the launcher's clock reading before "
               "it started the program). joblib: a fresh `python3 -c` whose first "
               "`Parallel(n_jobs=2)` runs 2 tasks; *from main* starts at the program's first "
               "line, so importing joblib counts.")
    out.append("")
    out.append("| program | measure | min | median | max | runs |")
    out.append("|---|---|---:|---:|---:|---:|")
    first_fields = [("total_ms", "from main to the first result"),
                    ("init_ms", "joblet::init"),
                    ("first_ms", "first Parallel call (workers started, tasks run)"),
                    ("second_ms", "second call, same workers"),
                    ("since_launch_ms", "from launch to the first result")]
    for mode, runs in first.items():
        for field, label in first_fields:
            values = [r[field] for r in runs]
            out.append(f"| joblet first_result {mode} | {label} | " + " | ".join(summary(values))
                       + f" | {len(values)} |")
    for backend, fields in joblib_report["first_result"].items():
        for field, label in [("total_ms", "from main to the first result"),
                             ("since_launch_ms", "from launch to the first result")]:
            values = fields[field]["samples"]
            out.append(f"| joblib {backend} | {label} | " + " | ".join(summary(values))
                       + f" | {len(values)} |")
    out.append("")

    out.append(f"## CPU-bound tasks, {joblib_report['spin']['tasks']} x "
               f"{fmt(joblib_report['spin']['ms'])} ms (calibrated spin loop): ms per run")
    out.append("")
    out.extend(summary_table(SPIN_CASES, spin))
    for label, name in JOBLIB_SPIN_CASES:
        values = joblib_spin[name]
        out.append(f"| {label} | " + " | ".join(summary(values)) + f" | {len(values)} |")
    out.append("")

    auto = per_task(f"empty/processes2_auto/tasks:{AUTO_TASKS}")
    batch1 = per_task("empty/processes2_batch1/tasks:10000")
    raw_mib = per_task("raw/socketpair_round_trip/bytes:1048576")
    jobs1 = spin("jobs1_ms")
    tbb_speedup = pairwise(jobs1, spin("tbb_ms"))
    targets = [
        (f"joblib loky auto / joblet processes auto, per empty task ({AUTO_TASKS:,} tasks)",
         "higher is better", pairwise(joblib["empty_loky_auto"], auto), ">= 10 (aim 20)",
         lambda r: r >= 10),
        ("1 MiB round trip, timed in turn: joblet processes n_jobs=1 batch_size=1, results "
         "taken one at a time / raw socketpair into one reused buffer", "lower is better",
         pairwise(in_turn("joblet_us"), in_turn("raw_us")), "<= 2", lambda r: r <= 2),
        ("speed-up, 200 x 5 ms: n_jobs=1 time / processes n_jobs=2 time", "higher is better",
         pairwise(jobs1, spin("processes2_ms")), ">= 1.9", lambda r: r >= 1.9),
    ]
    first_targets = [
        (f"first_result {mode}: from main to the first result, ms",
         [r["total_ms"] for r in first[mode]])
        for mode in ("1", "2")
    ]
    context_ratios = [
        ("joblib multiprocessing auto / joblet processes auto, per empty task",
         pairwise(joblib["empty_multiprocessing_auto"], auto)),
        ("joblib loky batch_size=1 / joblet processes batch_size=1, per empty task",
         pairwise(joblib["empty_loky_batch1"], batch1)),
        ("joblet processes batch_size=1 per empty task / raw 64-byte round trip",
         pairwise(batch1, per_task("raw/socketpair_round_trip/bytes:64"))),
        ("1 MiB: joblet processes n_jobs=1 batch_size=1, all 64 results kept / raw round trip "
         "into one reused buffer",
         pairwise(per_task("blob/processes1_batch1/tasks:64/bytes:1048576"), raw_mib)),
        ("1 MiB: joblet processes n_jobs=1 batch_size=1, all 64 results kept / raw round trip "
         "with each reply kept in new memory (as results are)",
         pairwise(per_task("blob/processes1_batch1/tasks:64/bytes:1048576"),
                  per_task("raw/socketpair_round_trip_kept/tasks:64/bytes:1048576"))),
        ("1 MiB: joblet processes n_jobs=2 batch_size=1 per task / raw socketpair round trip",
         pairwise(per_task("blob/processes2_batch1/tasks:64/bytes:1048576"), raw_mib)),
        ("1 MiB: joblet processes n_jobs=2 auto batch per task / raw socketpair round trip",
         pairwise(per_task("blob/processes2_auto/tasks:64/bytes:1048576"), raw_mib)),
        ("1 MiB: joblib loky batch_size=1 / joblet processes n_jobs=2 batch_size=1",
         pairwise(joblib["blob_loky_batch1"],
                  per_task("blob/processes2_batch1/tasks:64/bytes:1048576"))),
        ("speed-up the machine gave TBB meanwhile, 200 x 5 ms: n_jobs=1 time / TBB time",
         tbb_speedup),
        ("speed-up of joblet threads n_jobs=2 meanwhile", pairwise(jobs1, spin("threads2_ms"))),
        ("speed-up of joblib loky n_jobs=2 (Python spin loop)",
         pairwise(joblib_spin["spin_jobs1"], joblib_spin["spin_loky"])),
        ("speed-up of joblib multiprocessing n_jobs=2 (Python spin loop)",
         pairwise(joblib_spin["spin_jobs1"], joblib_spin["spin_multiprocessing"])),
        ("first_result 2-long: first call minus the 20 ms a task computes, ms (what starting "
         "both workers cost; runs, not pairs)", [r["first_ms"] - 20 for r in first["2-long"]]),
    ]

    out.append("## Ratios, per repetition pair, and the targets")
    out.append("")
    out.append("| ratio | pairs | min | median | max | target | median meets | every pair meets |")
    out.append("|---|---:|---:|---:|---:|---|---|---|")
    verdicts = []
    for label, sense, ratios, target, meets in targets:
        median_ok = meets(statistics.median(ratios))
        every_ok = all(meets(r) for r in ratios)
        verdicts.append((label, target, median_ok))
        out.append(f"| {label} ({sense}) | {len(ratios)} | " + " | ".join(summary(ratios))
                   + f" | {target} | {'yes' if median_ok else '**no**'} | "
                   + f"{'yes' if every_ok else 'no'} |")
    for label, values in first_targets:
        median_ok = statistics.median(values) <= FIRST_RESULT_TARGET_MS
        every_ok = all(v <= FIRST_RESULT_TARGET_MS for v in values)
        target = f"<= {fmt(FIRST_RESULT_TARGET_MS)} ms"
        verdicts.append((label, target, median_ok))
        out.append(f"| {label} (runs, not pairs) | {len(values)} | " + " | ".join(summary(values))
                   + f" | {target} | {'yes' if median_ok else '**no**'} | "
                   + f"{'yes' if every_ok else 'no'} |")
    for label, ratios in context_ratios:
        out.append(f"| {label} | {len(ratios)} | " + " | ".join(summary(ratios))
                   + " | (context) | | |")
    loky_first = statistics.median(joblib_report["first_result"]["loky"]["total_ms"]["samples"])
    for mode in ("1", "2"):
        joblet_first = statistics.median(r["total_ms"] for r in first[mode])
        out.append(f"| joblib loky first result / joblet first_result {mode}, medians of "
                   f"unpaired runs, from main | 1 | | {fmt(loky_first / joblet_first)} | | "
                   f"(context) | | |")
    out.append("")

    out.append("## Targets")
    out.append("")
    for label, target, met in verdicts:
        out.append(f"- {'MET' if met else 'NOT MET'}: {label}, median {target}")
        if label.startswith("speed-up") and not met:
            out.append(f"  (TBB's median speed-up on the same tasks meanwhile: "
                       f"{fmt(statistics.median(tbb_speedup))}; if it misses 1.9 too, the "
                       f"machine, not joblet, set the limit)")
    print("\n".join(out))


if __name__ == "__main__":
    main()
