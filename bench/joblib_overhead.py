"""joblib's per-task cost on trivial tasks, the Python side of bench/compare_core.py.

Runs the same workload as overhead_bench's "empty" cases (a function returning its
argument, results collected) with joblib's sequential backend, its threading backend on
2 workers, and a plain list comprehension, and prints one JSON object on stdout:
microseconds per task for each repetition, with min / median / max.

Run it with Debian's interpreter, which has joblib:  /usr/bin/python3 bench/joblib_overhead.py
"""

import argparse
import json
import platform
import statistics
import sys
import time

import joblib
from joblib import Parallel, delayed


def ident(i):
    return i


def joblib_sequential(n):
    return Parallel(n_jobs=1)(delayed(ident)(i) for i in range(n))


def joblib_threading(n):
    return Parallel(n_jobs=2, backend="threading")(delayed(ident)(i) for i in range(n))


def list_comprehension(n):
    return [ident(i) for i in range(n)]


CASES = {
    "joblib_sequential": joblib_sequential,
    "joblib_threading_jobs2": joblib_threading,
    "list_comprehension": list_comprehension,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()

    expected = list(range(args.tasks))
    for run in CASES.values():
        if run(args.tasks) != expected:
            sys.exit(f"{run.__name__} returned wrong results")

    # Repetitions are the outer loop, so that repetition k of every case runs within
    # seconds of the others and ratios taken per repetition see the same machine load.
    samples = {name: [] for name in CASES}
    for _ in range(args.repetitions):
        for name, run in CASES.items():
            start = time.perf_counter()
            run(args.tasks)
            samples[name].append((time.perf_counter() - start) / args.tasks * 1e6)

    print(
        json.dumps(
            {
                "python": platform.python_version(),
                "executable": sys.executable,
                "joblib": joblib.__version__,
                "tasks": args.tasks,
                "unit": "us_per_task",
                "cases": {
                    name: {
                        "samples": values,
                        "min": min(values),
                        "median": statistics.median(values),
                        "max": max(values),
                    }
                    for name, values in samples.items()
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
