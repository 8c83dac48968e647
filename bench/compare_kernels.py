"""Side-by-side comparison of joblet::kernels with a plain loop, OpenMP, TBB, std::reduce(par),
numba and numpy.

Runs a built kernels_bench and bench/numba_kernels.py in one invocation, disassembles
kernels_bench to say which loops the compiler vectorised, and prints one markdown report:
min / median / max of every case, GB/s where the kernel is memory-bound, and the ratios the
targets are about, each taken per repetition pair (repetition k of one contender against
repetition k of the other; kernels_bench times the contenders of a case in turn within each
repetition), then summarised as min / median / max.

    /usr/bin/python3 bench/compare_kernels.py build/release/bench/kernels_bench --repetitions 5

Standard library only; needs objdump (binutils) for the vectorisation table. OpenMP runs with
OMP_WAIT_POLICY=passive unless the environment sets it: libgomp's threads otherwise spin after
each region and take the CPU from the contender timed next. On a shared, noisy machine
absolute figures drift between runs minutes apart: read the ratios."""

import argparse
import collections
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_common import MachineWatch, fmt, pairwise, summary

NUMBA_SCRIPT = Path(__file__).resolve().with_name("numba_kernels.py")

# Bytes each element moves, as STREAM counts them (reads plus writes, no write-allocate).
BYTES = {"map_square": 16, "map_exp": 16, "zip_fma": 24, "triad": 24, "reduce_f64": 8,
         "reduce_i64": 8, "broadcast_2d": 16}

CONTENDER_LABELS = {
    "plain": "plain -O3 loop (1 thread)",
    "omp": "OpenMP `parallel for`",
    "omp_simd": "OpenMP `parallel for simd reduction`",
    "tbb": "TBB parallel_for / parallel_reduce",
    "std_reduce_par": "std::reduce(std::execution::par) (TBB backend)",
    "joblet": "**joblet::kernels**",
    "joblet_1thread": "**joblet::kernels**, 1 thread",
    "stream_triad_omp": "(STREAM triad, OpenMP, timed in turn with the above)",
}

# (case, heading, the numba case that does the same, in the same units)
LARGE_CASES = [
    ("map_square", "map: y = x*x + 1", "numba_map_square"),
    ("zip_fma", "zip: y = a*b + c (c a scalar)", "numba_zip_fma"),
    ("reduce_f64", "reduce: sum of float64", "numba_reduce_f64"),
    ("reduce_i64", "reduce: sum of int64", "numba_reduce_i64"),
    ("triad", "STREAM triad: a = b + s*c", "numba_triad"),
    ("map_exp", "map: y = exp(x), -O3 (glibc's scalar exp)", "numba_map_exp"),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", help="path of the built kernels_bench")
    parser.add_argument("--repetitions", type=int, default=5,
                        help="repetitions of every case, C++ and Python (default 5)")
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="--benchmark_min_time of every repetition, seconds (default 0.2)")
    parser.add_argument("--python", default="/usr/bin/python3",
                        help="interpreter that has numba (default /usr/bin/python3)")
    parser.add_argument("--exp-rounds", type=int, default=9,
                        help="rounds of the exp case alternating with numpy's np.exp, for the "
                             "per-core exp ratios (default 9)")
    parser.add_argument("--wait-numba", type=float, default=600, metavar="SECONDS",
                        help="wait up to this long for `import numba` to work (default 600)")
    return parser.parse_args()


def wait_for_numba(python, limit_s):
    started = time.monotonic()
    while True:
        done = subprocess.run([python, "-c", "import numba"], capture_output=True, check=False)
        if done.returncode == 0:
            return True
        if time.monotonic() - started >= limit_s:
            return False
        print("waiting for numba to become importable", file=sys.stderr, flush=True)
        time.sleep(15)


def run_json(command, env):
    print(f"running: {shlex.join(command)}", file=sys.stderr, flush=True)
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{shlex.join(command)} failed with exit status {done.returncode}")
    return json.loads(done.stdout)


def collect_benchmarks(report):
    """{case: {contender: [microseconds per call, one per repetition]}}."""
    cases = {}
    runs = [b for b in report["benchmarks"] if b.get("run_type") == "iteration"]
    for bench in sorted(runs, key=lambda b: b.get("repetition_index", 0)):
        if bench.get("error_occurred"):
            sys.exit(f"{bench['name']}: {bench.get('error_message', 'error')}")
        case = bench["run_name"].split("/")[0]
        for field, value in bench.items():
            if field.endswith("_us"):
                cases.setdefault(case, {}).setdefault(field[:-3], []).append(value)
    return cases


PER_CORE_MATH = ("map_exp_vector_math", "map_sin", "map_cos")


def alternate_math(args, env):
    """`args.exp_rounds` rounds of kernels_bench's exp, sin and cos cases, each followed by
    numpy's np.exp, np.sin and np.cos in a fresh Python: pairs taken seconds apart, where the
    main runs are a minute apart on a machine whose memory bandwidth drifts.
    ({case: {contender: [ms]}}, {numpy case: [ms]})."""
    joblet, numpy = {}, {}
    for _ in range(args.exp_rounds):
        report = run_json([args.binary, "--benchmark_filter=^(" + "|".join(PER_CORE_MATH) + ")/",
                           f"--benchmark_min_time={args.min_time}", "--benchmark_format=json"],
                          env)
        for case, contenders in collect_benchmarks(report).items():
            for contender, values in contenders.items():
                joblet.setdefault(case, {}).setdefault(contender, []).extend(
                    us / 1e3 for us in values)
        python = run_json([args.python, str(NUMBA_SCRIPT), "--only-numpy-math",
                           "--repetitions=1"], env)
        for name, case in python["cases"].items():
            numpy.setdefault(name, []).extend(case["samples"])
    return joblet, numpy


# --- disassembly -----------------------------------------------------------------------------

PACKED = re.compile(r"^v?(add|sub|mul|fmadd\w*|div|max|min)p[sd]$|^v?padd[bwdq]$|^v?psub[bwdq]$")
SCALAR = re.compile(r"^v?(add|sub|mul|fmadd\w*|div)s[sd]$")
GATHER = re.compile(r"gather")

CLONES = ("default", "avx2", "avx512f")


def clones(label, function):
    """Rows for each version of the floating-point loop that map / zip compile for `function`
    (the lambda's enclosing function, or the functor type), picked by the CPU at load time."""
    return [(f"{label} [{isa}]",
             r"joblet::detail::floating_contiguous_loop<" + function
             + r".*\[clone \." + isa + r"\]$") for isa in CLONES]


# (path, regular expression over demangled function names): the functions that hold each
# loop once the compiler has inlined it.
VECTOR_PATHS = [
    *clones("joblet map x*x+1 (contiguous)", r"kbench::\(anonymous namespace\)::joblet_map_square"),
    *clones("joblet zip a*b+c (contiguous)", r"kbench::\(anonymous namespace\)::joblet_zip_fma"),
    ("joblet reduce float64 (fixed chunk tree)",
     r"joblet::detail::reduce_chunk<double, double, joblet::kernels::reduce"),
    ("joblet reduce int64 (fixed chunk tree)",
     r"joblet::detail::reduce_chunk<long, long, joblet::kernels::reduce"),
    *clones("joblet 2-d broadcast zip (rows)", r"std::minus<void>, double, double, double>"),
    *clones("joblet map std::exp, -O3", r"kbench::\(anonymous namespace\)::joblet_map_exp"),
    *clones("joblet map kernels::exp, -O3",
            r"kbench::\(anonymous namespace\)::joblet_map_kernels_exp"),
    ("plain loop kernels::exp, -O3",
     r"^kbench::\(anonymous namespace\)::plain_loop_kernels_exp\("),
    *clones("joblet map std::exp, -O3 -ffast-math", r"kbench::fast_math::exp_joblet_map"),
    *clones("joblet map std::exp, -O3 -ffast-math -march=native",
            r"kbench::fast_math_native::exp_joblet_map"),
    ("plain loop map x*x+1, -O3", r"^kbench::\(anonymous namespace\)::map_square_plain\("),
    ("plain loop sum float64, -O3 (strict order)",
     r"kbench::\(anonymous namespace\)::sum_plain<double>\("),
    ("plain loop sum int64, -O3", r"kbench::\(anonymous namespace\)::sum_plain<long>\("),
    ("OpenMP simd sum, pointer and size captured by reference (-march=native)",
     r"omp_simd_sum_captured_by_reference.*_omp_fn"),
    ("OpenMP simd sum, local copies (-march=native)", r"omp_simd_sum_local_copies.*_omp_fn"),
    ("joblet parallel_for simd sum, captured by reference (-march=native)",
     r"joblet_simd_sum_captured_by_reference\(double const\*, unsigned long\)::"
     r"\{lambda\(unsigned long\)#1\}::operator"),
    ("joblet parallel_for simd sum, local copies (-march=native)",
     r"joblet_simd_sum_local_copies\(double const\*, unsigned long\)::"
     r"\{lambda\(unsigned long\)#1\}::operator"),
]


def disassemble(binary):
    """{demangled function name: [instructions]}, or None without objdump."""
    objdump = shutil.which("objdump")
    if objdump is None:
        return None
    text = subprocess.run([objdump, "-d", "-C", "--no-show-raw-insn", binary],
                          stdout=subprocess.PIPE, text=True, check=True).stdout
    functions, current = {}, None
    for line in text.split("\n"):
        header = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if header:
            current = functions.setdefault(header[1], [])
        elif current is not None and "\t" in line:
            current.append(line.split("\t", 1)[1].strip())
    return functions


def vector_table(functions):
    rows = []
    for label, pattern in VECTOR_PATHS:
        matched = [name for name in functions if re.search(pattern, name)]
        ops = collections.Counter()
        calls = collections.Counter()
        for name in matched:
            for instruction in functions[name]:
                mnemonic = instruction.split()[0] if instruction else ""
                ops[mnemonic] += 1
                target = re.search(r"<([^>]+)>", instruction)
                if mnemonic.startswith("call") and target:
                    callee = target[1].split("@")[0]
                    if callee.startswith("_ZGV") or callee in ("exp", "__exp_finite",
                                                              "joblet_kernels_exp"):
                        calls[callee] += 1
        packed = {m: c for m, c in ops.items() if PACKED.match(m)}
        scalar = {m: c for m, c in ops.items() if SCALAR.match(m)}
        gathers = {m: c for m, c in ops.items() if GATHER.search(m)}
        rows.append((label, len(matched), packed, scalar, gathers, dict(calls)))
    return rows


# --- formatting ------------------------------------------------------------------------------

def counts(mapping):
    return ", ".join(f"{k} {v}" for k, v in sorted(mapping.items())) or "none"


def main():
    args = parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBLET_")}
    env.setdefault("OMP_WAIT_POLICY", "passive")
    bench_command = [args.binary, f"--benchmark_repetitions={args.repetitions}",
                     f"--benchmark_min_time={args.min_time}", "--benchmark_format=json"]
    numba_command = [args.python, str(NUMBA_SCRIPT), f"--repetitions={args.repetitions}"]

    have_numba = wait_for_numba(args.python, args.wait_numba)
    with MachineWatch() as watch:
        numba_report = run_json(numba_command, env) if have_numba else None
        bench_report = run_json(bench_command, env)
        alternating, alternating_numpy = alternate_math(args, env) if have_numba else ({}, {})
    elapsed, others = watch.elapsed, watch.others
    load_before, load_after = watch.load_before, watch.load_after
    functions = disassemble(args.binary)

    cases = collect_benchmarks(bench_report)
    context = bench_report["context"]
    elements = int(context.get("elements", 10_000_000))
    py = {name: case["samples"] for name, case in numba_report["cases"].items()} \
        if numba_report else {}

    def ms(case, contender):
        return [us / 1e3 for us in cases[case][contender]]

    def gbs(case, times_ms):
        return [BYTES[case] * elements / (t * 1e-3) / 1e9 for t in times_ms]

    out = []
    out.append("# joblet::kernels against plain loops, OpenMP, TBB, std::reduce(par), numba "
               "and numpy")
    out.append("")
    out.append("Reproduce with:")
    out.append("")
    out.append("```")
    out.append(f"cd {shlex.quote(os.getcwd())} && {shlex.join([sys.executable, *sys.argv])}")
    out.append("```")
    out.append("")
    out.append(f"- ran: `{shlex.join(bench_command)}`"
               + (f" and `{shlex.join(numba_command)}`, then {args.exp_rounds} times in turn "
                  f"the exp, sin and cos cases alone and `numba_kernels.py --only-numpy-math`"
                  if numba_report else ""))
    out.append(f"- environment: OMP_WAIT_POLICY={env['OMP_WAIT_POLICY']}; joblet kernels use "
               f"{context.get('joblet_threads', '?')} threads")
    out.append(f"- {context.get('date', '?')}, {context.get('num_cpus', '?')} CPUs, took "
               f"{elapsed:.0f} s; 1-minute load average {load_before} before, {load_after} after")
    if others is not None:
        share = others / elapsed
        out.append(f"- other processes used {others:.1f} CPU-seconds during the run "
                   f"({100 * share:.0f} % of one CPU on average)")
        if share >= 0.1:
            out.append("- **WARNING: other processes took CPU time while the cases ran: "
                       "absolute figures, and ratios between separate processes (numba, numpy), "
                       "are unreliable; ratios within a case are timed in turn.**")
    if numba_report:
        out.append(f"- Python {numba_report['python']}, numba {numba_report['numba']} "
                   f"({numba_report['numba_threads']} threads, threading layer "
                   f"{numba_report['threading_layer']}), numpy {numba_report['numpy']}")
    else:
        out.append(f"- **numba not importable by {args.python}: numba and numpy rows missing**")
    if "kernels_bench_warning" in context:
        out.append(f"- **WARNING: kernels_bench {context['kernels_bench_warning']}**")
    out.append("")

    out.append(f"## {elements:,} elements: ms per call, and GB/s as STREAM counts bytes")
    out.append("")
    out.append("GB/s counts each element's reads and writes once (map 16 B, zip and triad 24 B, "
               "sum 8 B); a store also reads its line first (write-allocate), which STREAM does "
               "not count either. numba and numpy run in another process, before the C++ cases.")
    out.append("")
    out.append("| kernel | contender | min ms | median ms | max ms | median GB/s | reps |")
    out.append("|---|---|---:|---:|---:|---:|---:|")
    for case, heading, numba_case in LARGE_CASES:
        for contender in cases[case]:
            times = ms(case, contender)
            rate = gbs("triad" if contender == "stream_triad_omp" else case, times)
            out.append(f"| {heading} | {CONTENDER_LABELS.get(contender, contender)} | "
                       + " | ".join(summary(times)) + f" | {fmt(statistics.median(rate))} | "
                       f"{len(times)} |")
        if numba_case in py:
            times = py[numba_case]
            out.append(f"| {heading} | numba @njit(parallel=True), prange | "
                       + " | ".join(summary(times))
                       + f" | {fmt(statistics.median(gbs(case, times)))} | {len(times)} |")
    out.append("")

    out.append("## exp, sin and cos, vectorised, against numpy: ms per call")
    out.append("")
    out.append("| contender | compiled with | threads | min ms | median ms | max ms | reps |")
    out.append("|---|---|---:|---:|---:|---:|---:|")
    vector_rows = [
        ("plain_scalar_glibc", "plain loop, glibc scalar exp", "-O3", 1),
        ("plain_kernels_exp", "plain loop, `kernels::exp`", "-O3", 1),
        ("joblet_kernels_exp_1thread", "**joblet map, `kernels::exp`**", "-O3", 1),
        ("joblet_kernels_exp", "**joblet map, `kernels::exp`**", "-O3", 2),
        ("plain_fast_math", "plain loop", "-O3 -ffast-math", 1),
        ("joblet_fast_math_1thread", "**joblet map**", "-O3 -ffast-math", 1),
        ("joblet_fast_math", "**joblet map**", "-O3 -ffast-math", 2),
        ("plain_fast_math_native", "plain loop", "-O3 -ffast-math -march=native", 1),
        ("joblet_fast_math_native_1thread", "**joblet map**", "-O3 -ffast-math -march=native", 1),
        ("joblet_fast_math_native", "**joblet map**", "-O3 -ffast-math -march=native", 2),
    ]
    for contender, label, flags, threads in vector_rows:
        times = ms("map_exp_vector_math", contender)
        out.append(f"| {label} | `{flags}` | {threads} | " + " | ".join(summary(times))
                   + f" | {len(times)} |")
    if "numpy_exp" in py:
        out.append(f"| numpy `np.exp(x, out=y)` | numpy {numba_report['numpy']} (own SIMD "
                   f"dispatch) | 1 | " + " | ".join(summary(py["numpy_exp"]))
                   + f" | {len(py['numpy_exp'])} |")
    for function in ("sin", "cos"):
        for contender, label in (("plain_scalar_glibc", f"plain loop, glibc scalar {function}"),
                                 ("joblet_kernels_1thread",
                                  f"**joblet map, `kernels::{function}`**")):
            times = ms(f"map_{function}", contender)
            out.append(f"| {label} | `-O3` | 1 | " + " | ".join(summary(times))
                       + f" | {len(times)} |")
        if f"numpy_{function}" in py:
            times = py[f"numpy_{function}"]
            out.append(f"| numpy `np.{function}(x, out=y)` | numpy {numba_report['numpy']} | 1 | "
                       + " | ".join(summary(times)) + f" | {len(times)} |")
    out.append("")

    out.append(f"## {int(context.get('small_elements', 1000)):,}-element calls: ns per call")
    out.append("")
    out.append("| kernel | plain loop min | median | max | joblet min | median | max |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for kernel in ("map", "zip", "reduce_f64", "reduce_i64"):
        plain = [us * 1e3 for us in cases["small"][f"{kernel}_plain"]]
        joblet = [us * 1e3 for us in cases["small"][f"{kernel}_joblet"]]
        out.append(f"| {kernel} | " + " | ".join(summary(plain)) + " | "
                   + " | ".join(summary(joblet)) + " |")
    out.append("")

    out.append("## 2-d broadcast zip: (2000, 5000) minus a (1, 5000) bias per column, ms per call")
    out.append("")
    out.append("| contender | min ms | median ms | max ms | median GB/s | reps |")
    out.append("|---|---:|---:|---:|---:|---:|")
    broadcast_labels = {"plain": "plain nested loop (1 thread)",
                        "omp": "OpenMP `parallel for` over rows",
                        "joblet": "**joblet zip over View<T>** (broadcast)"}
    for contender, label in broadcast_labels.items():
        times = ms("broadcast_2d", contender)
        out.append(f"| {label} | " + " | ".join(summary(times))
                   + f" | {fmt(statistics.median(gbs('broadcast_2d', times)))} | {len(times)} |")
    out.append("")

    out.append("## The GCC 12 simd-reduction trap (sum of float64, `-O3 -march=native`), ms "
               "per call")
    out.append("")
    out.append("| contender | min ms | median ms | max ms | reps |")
    out.append("|---|---:|---:|---:|---:|")
    trap_labels = {
        "omp_local_copies": "`omp parallel for simd reduction` in a lambda, local copies",
        "omp_captured_by_reference": "the same, pointer and size read through [&] captures",
        "joblet_local_copies": "joblet parallel_for, `omp simd` per part, captured by value",
        "joblet_captured_by_reference": "the same, pointer and size read through [&] captures",
    }
    for contender, label in trap_labels.items():
        times = ms("simd_trap", contender)
        out.append(f"| {label} | " + " | ".join(summary(times)) + f" | {len(times)} |")
    out.append("")

    # --- ratios ---
    def best_of(case, contenders):
        return [min(values) for values in zip(*(cases[case][c] for c in contenders))]

    def share_of_best(case, contenders):
        return pairwise(best_of(case, contenders), cases[case]["joblet"])

    def share_of_stream(case):
        triad = "omp" if case == "triad" else "stream_triad_omp"
        joblet_gbs = gbs(case, ms(case, "joblet"))
        return pairwise(joblet_gbs, gbs("triad", ms(case, triad)))

    at_least = (lambda bound: (f">= {bound}", lambda r: r >= bound))
    at_most = (lambda bound: (f"<= {bound}", lambda r: r <= bound))
    targets = []
    for case, label in (("map_square", "map x*x+1"), ("zip_fma", "zip a*b+c"),
                        ("triad", "triad")):
        targets.append((f"{label}: best of OpenMP/TBB time / joblet time", "higher is better",
                        share_of_best(case, ["omp", "tbb"]), *at_least(0.9)))
    for case, label in (("reduce_f64", "sum float64"), ("reduce_i64", "sum int64")):
        targets.append((f"{label}: best of OpenMP (plain, simd)/TBB time / joblet time",
                        "higher is better", share_of_best(case, ["omp", "omp_simd", "tbb"]),
                        *at_least(0.9)))
    for case, label in (("map_square", "map x*x+1"), ("zip_fma", "zip a*b+c"),
                        ("reduce_f64", "sum float64"), ("reduce_i64", "sum int64"),
                        ("triad", "triad")):
        targets.append((f"{label}: joblet GB/s / STREAM triad GB/s (OpenMP, timed in turn)",
                        "higher is better", share_of_stream(case), *at_least(0.8)))
    for case, label in (("reduce_f64", "float64"), ("reduce_i64", "int64")):
        targets.append((f"reproducible sum {label}: joblet time / OpenMP simd reduction time",
                        "lower is better",
                        pairwise(cases[case]["joblet"], cases[case]["omp_simd"]),
                        *at_most(1.1)))
    for kernel in ("map", "zip", "reduce_f64", "reduce_i64"):
        targets.append((f"{kernel}, 10^3 elements: joblet time / plain loop time",
                        "lower is better",
                        pairwise(cases["small"][f"{kernel}_joblet"],
                                 cases["small"][f"{kernel}_plain"]), *at_most(1.5)))
    def per_core(case, contender, numpy_case, label):
        """A ratio of one-thread times, joblet's over numpy's, from the alternating runs."""
        return (f"{label} time ({args.exp_rounds} alternating runs)",
                pairwise(alternating[case][contender], alternating_numpy[numpy_case]))

    if alternating_numpy:
        label, ratios = per_core(
            "map_exp_vector_math", "joblet_kernels_exp_1thread", "numpy_exp",
            "exp per core: joblet map with kernels::exp, -O3, 1 thread / numpy np.exp")
        targets.append((label, "lower is better", ratios, *at_most(1.0)))
        for function in ("sin", "cos"):
            label, ratios = per_core(
                f"map_{function}", "joblet_kernels_1thread", "numpy_exp",
                f"{function} per core: joblet map with kernels::{function}, 1 thread / numpy np.exp")
            targets.append((label, "lower is better", ratios, *at_most(1.0)))

    # std::exp under -ffast-math (glibc's vector exp), and kernels::sin and cos against numpy's
    # own sin and cos, for comparison.
    vector_math_context = [
        per_core("map_exp_vector_math", "joblet_fast_math_1thread", "numpy_exp",
                 "exp per core: joblet map with std::exp, -ffast-math / numpy np.exp"),
        per_core("map_exp_vector_math", "joblet_fast_math_native_1thread", "numpy_exp",
                 "exp per core: joblet map with std::exp, -ffast-math -march=native / np.exp"),
        *(per_core(f"map_{function}", "joblet_kernels_1thread", f"numpy_{function}",
                   f"{function} per core: joblet map with kernels::{function} / numpy "
                   f"np.{function}")
          for function in ("sin", "cos")),
    ] if alternating_numpy else []

    context_ratios = [
        *vector_math_context,
        ("sum float64: OpenMP plain reduction time / OpenMP simd reduction time",
         pairwise(cases["reduce_f64"]["omp"], cases["reduce_f64"]["omp_simd"])),
        ("sum float64: std::reduce(par) time / joblet time",
         pairwise(cases["reduce_f64"]["std_reduce_par"], cases["reduce_f64"]["joblet"])),
        ("map exp (-O3, scalar glibc): best of OpenMP/TBB time / joblet time",
         share_of_best("map_exp", ["omp", "tbb"])),
        ("map exp: plain scalar glibc loop / joblet -ffast-math, both 1 thread",
         pairwise(cases["map_exp_vector_math"]["plain_scalar_glibc"],
                  cases["map_exp_vector_math"]["joblet_fast_math_1thread"])),
        ("map exp -ffast-math: joblet 1 thread / joblet 2 threads (speed-up)",
         pairwise(cases["map_exp_vector_math"]["joblet_fast_math_1thread"],
                  cases["map_exp_vector_math"]["joblet_fast_math"])),
        ("2-d broadcast: joblet View zip time / plain nested loop time",
         pairwise(cases["broadcast_2d"]["joblet"], cases["broadcast_2d"]["plain"])),
        ("2-d broadcast: joblet View zip time / OpenMP loop time",
         pairwise(cases["broadcast_2d"]["joblet"], cases["broadcast_2d"]["omp"])),
        ("simd trap, OpenMP: captured by reference time / local copies time",
         pairwise(cases["simd_trap"]["omp_captured_by_reference"],
                  cases["simd_trap"]["omp_local_copies"])),
        ("simd trap, joblet parallel_for: captured by reference time / by value time",
         pairwise(cases["simd_trap"]["joblet_captured_by_reference"],
                  cases["simd_trap"]["joblet_local_copies"])),
    ]
    for case, numba_case in (("map_square", "numba_map_square"), ("zip_fma", "numba_zip_fma"),
                             ("reduce_f64", "numba_reduce_f64"),
                             ("reduce_i64", "numba_reduce_i64"), ("triad", "numba_triad")):
        if numba_case in py:
            context_ratios.append((f"{case}: numba prange time / joblet time (separate "
                                   f"processes)", pairwise(py[numba_case],
                                                           ms(case, "joblet"))))

    out.append("## Ratios, per repetition pair")
    out.append("")
    out.append("| ratio | pairs | min | median | max | target | median meets | every pair meets |")
    out.append("|---|---:|---:|---:|---:|---|---|---|")
    verdicts = []
    for label, sense, ratios, target, meets in targets:
        median_ok = meets(statistics.median(ratios))
        every_ok = all(meets(r) for r in ratios)
        verdicts.append((label, target, median_ok, statistics.median(ratios)))
        out.append(f"| {label} ({sense}) | {len(ratios)} | " + " | ".join(summary(ratios))
                   + f" | {target} | {'yes' if median_ok else '**no**'} | "
                   + f"{'yes' if every_ok else 'no'} |")
    for label, ratios in context_ratios:
        out.append(f"| {label} | {len(ratios)} | " + " | ".join(summary(ratios))
                   + " | (context) | | |")
    out.append("")

    out.append("## Targets")
    out.append("")
    for label, target, met, median in verdicts:
        out.append(f"- {'MET' if met else 'NOT MET'}: {label}, median {fmt(median)} "
                   f"(target {target})")
    out.append("")

    out.append("## What the compiler emitted (objdump -d of kernels_bench)")
    out.append("")
    if functions is None:
        out.append("objdump not found: no disassembly.")
    else:
        out.append("Counts of arithmetic instructions in the functions that hold each loop "
                   "after inlining (packed: `addpd`, `mulpd`, `paddq`, their `v` forms...; "
                   "scalar: `addsd`, `mulsd`...), and the exp functions they call.")
        out.append("")
        out.append("| loop | functions | packed | scalar | gathers | exp calls |")
        out.append("|---|---:|---|---|---|---|")
        for label, matched, packed, scalar, gathers, calls in vector_table(functions):
            out.append(f"| {label} | {matched} | {counts(packed)} | {counts(scalar)} | "
                       f"{counts(gathers)} | {counts(calls)} |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
