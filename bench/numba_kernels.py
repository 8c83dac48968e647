"""numba and numpy on the kernels of bench/kernels_bench.cpp, the Python side of
bench/compare_kernels.py.

The same data sizes and operations: map (x*x+1 and exp), zip (a*b+c with c a scalar), the
sum of int64 and of float64 values over 10^7 elements, and the STREAM triad, each as a numba
@njit(parallel=True) loop over prange; numpy's np.exp, np.sin and np.cos (one thread, AVX-512
where the CPU has it) as the per-core yardsticks for vectorised math. Prints one JSON object
on stdout: milliseconds per call for each repetition.

Run it with Debian's interpreter, which has numba:  /usr/bin/python3 bench/numba_kernels.py
"""

import argparse
import json
import platform
import sys
import time

import numba
import numpy as np
from numba import njit, prange

SCALAR = 3.0


@njit(parallel=True)
def map_square(x, y):
    for i in prange(x.size):
        y[i] = x[i] * x[i] + 1.0


@njit(parallel=True)
def map_exp(x, y):
    for i in prange(x.size):
        y[i] = np.exp(x[i])


@njit(parallel=True)
def zip_fma(a, b, y):
    for i in prange(a.size):
        y[i] = a[i] * b[i] + SCALAR


@njit(parallel=True)
def triad(a, b, c):
    for i in prange(a.size):
        a[i] = b[i] + SCALAR * c[i]


@njit(parallel=True)
def reduce_sum(x):
    total = x.dtype.type(0)
    for i in prange(x.size):
        total += x[i]
    return total


def numpy_exp(x, y):
    np.exp(x, out=y)


def numpy_sin(x, y):
    np.sin(x, out=y)


def numpy_cos(x, y):
    np.cos(x, out=y)


def check_numba_against_numpy(x, a, b, c, k, y):
    """The first calls compile; they also check the results against numpy."""
    checks = [
        (lambda: map_square(x, y), lambda: x * x + 1.0, lambda: y),
        (lambda: map_exp(x, y), lambda: np.exp(x), lambda: y),
        (lambda: zip_fma(a, b, y), lambda: a * b + SCALAR, lambda: y),
    ]
    for run, expected, got in checks:
        run()
        if not np.allclose(got(), expected(), rtol=1e-14, atol=0):
            sys.exit("numba_kernels.py: a numba map or zip disagrees with numpy")
    if not np.isclose(reduce_sum(x), x.sum(), rtol=1e-9) or reduce_sum(k) != k.sum():
        sys.exit("numba_kernels.py: a numba sum disagrees with numpy")
    triad(a, b, c)
    if not np.array_equal(a, b + SCALAR * c):
        sys.exit("numba_kernels.py: the numba triad disagrees with numpy")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=10_000_000)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--only-numpy-math", action="store_true",
                        help="time np.exp, np.sin and np.cos alone, compiling nothing with numba")
    args = parser.parse_args()

    n = args.elements
    rng = np.random.default_rng(42)
    x = rng.uniform(-1.0, 1.0, n)
    a = rng.uniform(-1.0, 1.0, n)
    b = rng.uniform(-1.0, 1.0, n)
    c = rng.uniform(-1.0, 1.0, n)
    k = rng.integers(-(1 << 23), 1 << 23, n, dtype=np.int64)
    y = np.empty(n)

    cases = {
        "numba_map_square": lambda: map_square(x, y),
        "numba_map_exp": lambda: map_exp(x, y),
        "numpy_exp": lambda: numpy_exp(x, y),
        "numpy_sin": lambda: numpy_sin(x, y),
        "numpy_cos": lambda: numpy_cos(x, y),
        "numba_zip_fma": lambda: zip_fma(a, b, y),
        "numba_reduce_f64": lambda: reduce_sum(x),
        "numba_reduce_i64": lambda: reduce_sum(k),
        "numba_triad": lambda: triad(a, b, c),
    }

    if args.only_numpy_math:
        cases = {name: run for name, run in cases.items() if name.startswith("numpy_")}
        numpy_exp(x, y)  # y's pages are touched before anything is timed, as below
    else:
        check_numba_against_numpy(x, a, b, c, k, y)

    # Repetitions are the outer loop, so repetition k of every case runs within seconds of
    # the others; a repetition is the mean of a few calls, as kernels_bench's are.
    calls = 3
    samples = {name: [] for name in cases}
    for _ in range(args.repetitions):
        for name, run in cases.items():
            start = time.perf_counter()
            for _call in range(calls):
                run()
            samples[name].append((time.perf_counter() - start) / calls * 1e3)

    print(json.dumps({
        "python": platform.python_version(),
        "executable": sys.executable,
        "numba": numba.__version__,
        "numpy": np.__version__,
        "numba_threads": numba.get_num_threads(),
        "threading_layer": numba.threading_layer(),
        "elements": n,
        "unit": "ms_per_call",
        "cases": {name: {"samples": values} for name, values in samples.items()},
    }, indent=1))


if __name__ == "__main__":
    main()
