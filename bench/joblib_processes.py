"""joblib's process backends, the Python side of bench/compare_processes.py.

Runs the workloads of processes_bench with joblib's loky and multiprocessing backends on
2 workers: empty tasks (a function returning its argument, results collected) with auto
batching and with batch_size=1, a 1 MiB bytes argument echoed back, and a CPU-bound spin
loop against n_jobs=1 (the speed-up). Then the time to the first result in a fresh
interpreter, measured in new `python3 -c` processes. Prints one JSON object on stdout.

Workers are warm in the timed runs, as joblet's are: loky reuses its executor between calls
by itself; the multiprocessing cases run inside one `with Parallel(...)` block, which keeps
its pool.

Run it with Debian's interpreter, which has joblib:  /usr/bin/python3 bench/joblib_processes.py
"""

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time

import joblib
from joblib import Parallel, delayed


def ident(x):
    return x


def spin(seed, steps):
    """Integer work in the interpreter; `steps` comes from calibrate_spin."""
    state = seed
    for _ in range(steps):
        state = (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
    return state


def calibrate_spin(ms):
    """Steps of spin() that take `ms` milliseconds here (best of several tries)."""
    steps = 100_000
    best = min(_timed(spin, 1, steps) for _ in range(5))
    return max(1, int(steps * ms / (best * 1e3)))


def _timed(function, *args):
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


# What a fresh interpreter runs: its first Parallel call, timed from the first line of the
# program (so joblib's import counts) and from the launcher's clock reading before it started
# the process (CLOCK_MONOTONIC in both, so the two readings compare).
FIRST_RESULT_PROGRAM = """
import time
started = time.monotonic_ns()
import json, sys
from joblib import Parallel, delayed
results = Parallel(n_jobs=2, backend=sys.argv[1])(delayed(abs)(-40 - i) for i in range(2))
done = time.monotonic_ns()
assert results == [40, 41], results
print(json.dumps({"total_ms": (done - started) / 1e6,
                  "since_launch_ms": (done - int(sys.argv[2])) / 1e6}))
"""


def first_result(python, backend):
    launched = time.monotonic_ns()
    done = subprocess.run([python, "-c", FIRST_RESULT_PROGRAM, backend, str(launched)],
                          stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000,
                        help="empty tasks, auto batching (default 100000)")
    parser.add_argument("--batch1-tasks", type=int, default=1_000,
                        help="empty tasks with batch_size=1 (default 1000)")
    parser.add_argument("--blob-tasks", type=int, default=64)
    parser.add_argument("--blob-bytes", type=int, default=1 << 20)
    parser.add_argument("--spin-tasks", type=int, default=200)
    parser.add_argument("--spin-ms", type=float, default=5.0)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--first-result-runs", type=int, default=10,
                        help="fresh interpreters per backend for the first-result time")
    args = parser.parse_args()

    steps = calibrate_spin(args.spin_ms)
    blobs = [bytes([97 + i % 26]) * args.blob_bytes for i in range(args.blob_tasks)]

    sequential = Parallel(n_jobs=1)
    loky = Parallel(n_jobs=2, backend="loky")
    # batch_size is fixed when a Parallel is made; loky's workers are shared by both objects.
    loky_batch1 = Parallel(n_jobs=2, backend="loky", batch_size=1)
    with Parallel(n_jobs=2, backend="multiprocessing") as multiprocessing, \
            Parallel(n_jobs=2, backend="multiprocessing", batch_size=1) as multiprocessing_batch1:
        pools = {"loky": loky, "multiprocessing": multiprocessing}
        batch1 = {"loky": loky_batch1, "multiprocessing": multiprocessing_batch1}

        def empty(parallel, n):
            return lambda: parallel(delayed(ident)(i) for i in range(n))

        def echo(parallel):
            return lambda: parallel(delayed(ident)(b) for b in blobs)

        def spinning(parallel):
            return lambda: parallel(delayed(spin)(i, steps) for i in range(args.spin_tasks))

        # (name, run, tasks it runs); names are the keys compare_processes.py reads.
        cases = []
        for backend, parallel in pools.items():
            cases.append((f"empty_{backend}_auto", empty(parallel, args.tasks), args.tasks))
        for backend, parallel in batch1.items():
            cases.append((f"empty_{backend}_batch1", empty(parallel, args.batch1_tasks),
                          args.batch1_tasks))
        for backend, parallel in pools.items():
            cases.append((f"blob_{backend}_auto", echo(parallel), args.blob_tasks))
        for backend, parallel in batch1.items():
            cases.append((f"blob_{backend}_batch1", echo(parallel), args.blob_tasks))
        # The spin cases of one repetition run in turn, so their ratio sees one machine load.
        spin_cases = [("spin_jobs1", spinning(sequential))]
        spin_cases += [(f"spin_{backend}", spinning(parallel))
                       for backend, parallel in pools.items()]

        # Correct results, and workers started, before anything is timed.
        for backend, parallel in [*pools.items(), *batch1.items()]:
            if parallel(delayed(ident)(i) for i in range(args.batch1_tasks)) != list(
                    range(args.batch1_tasks)):
                sys.exit(f"joblib {backend} returned wrong results")
            if parallel(delayed(ident)(b) for b in blobs) != blobs:
                sys.exit(f"joblib {backend} changed the bytes it echoed")
        reference = [spin(i, steps) for i in range(args.spin_tasks)]
        for name, run in spin_cases:
            if run() != reference:
                sys.exit(f"{name} returned wrong results")

        samples = {name: [] for name, _, _ in cases}
        spin_ms = {name: [] for name, _ in spin_cases}
        # Repetitions are the outer loop, so that repetition k of every case runs within
        # seconds of the others.
        for repetition in range(args.repetitions):
            for name, run, tasks in cases:
                samples[name].append(_timed(run) / tasks * 1e6)
            order = spin_cases[repetition % len(spin_cases):] + spin_cases[
                :repetition % len(spin_cases)]
            for name, run in order:
                spin_ms[name].append(_timed(run) * 1e3)

    first = {backend: [first_result(sys.executable, backend)
                       for _ in range(args.first_result_runs)]
             for backend in ("loky", "multiprocessing")}

    def described(values):
        return {"samples": values, "min": min(values), "median": statistics.median(values),
                "max": max(values)}

    print(
        json.dumps(
            {
                "python": platform.python_version(),
                "executable": sys.executable,
                "joblib": joblib.__version__,
                "tasks": {name: tasks for name, _, tasks in cases},
                "blob_bytes": args.blob_bytes,
                "spin": {"tasks": args.spin_tasks, "ms": args.spin_ms, "steps": steps},
                "unit": "us_per_task",
                "cases": {name: described(values) for name, values in samples.items()},
                "spin_ms": {name: described(values) for name, values in spin_ms.items()},
                "first_result": {
                    backend: {field: described([run[field] for run in runs])
                              for field in ("total_ms", "since_launch_ms")}
                    for backend, runs in first.items()
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
