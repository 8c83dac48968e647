#!/usr/bin/python3
"""Backend::mpi's dispatch rate at rank 0 with 2 and 4 worker ranks, beside MPI's own
ping-pong latency and a raw unbatched farm measured in the same mpirun.

    bench/compare_mpi.py [--build build/release] [--tasks 2000000] [--repeats 5]

Prints min / median / max of each figure and the ratios that matter: joblet's batched rate
against the raw farm's, and the dispatch cost per task in microseconds."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from bench_common import MachineWatch, fmt, summary


def run(program, ranks, tasks, repeats):
    command = ["mpirun", "-np", str(ranks + 1), "--oversubscribe", str(program),
               "--tasks", str(tasks), "--repeats", str(repeats)]
    environment = dict(os.environ)
    if os.geteuid() == 0:  # OpenMPI refuses root unless told twice
        environment.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    output = subprocess.run(command, env=environment, check=True, capture_output=True,
                            text=True, timeout=600).stdout
    figures = {}
    for line in output.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[0] == "result":
            figures.setdefault(fields[1], []).append(float(fields[2]))
    return " ".join(command), figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build/release")
    parser.add_argument("--tasks", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()
    program = Path(arguments.build) / "bench" / "mpi_dispatch"
    if not program.exists():
        sys.exit(f"compare_mpi.py: {program} not found: build the target mpi_dispatch")

    print(f"{'case':<34}{'min':>12}{'median':>12}{'max':>12}  unit")
    for workers in (2, 4):
        with MachineWatch() as watch:
            command, figures = run(program, workers, arguments.tasks, arguments.repeats)
        print(f"--- {workers} worker ranks: {command}")
        units = {"pingpong_one_way": "us"}
        for name, values in figures.items():
            print(f"{name:<34}" + "".join(f"{v:>12}" for v in summary(values)) +
                  f"  {units.get(name, 'tasks/s')}")
        median = {name: sorted(v)[len(v) // 2] for name, v in figures.items()}
        for name in ("joblet_auto_batch", "joblet_batch_10000", "joblet_batch_1"):
            print(f"{name + ' us/task':<34}{'':>12}{fmt(1e6 / median[name]):>12}")
        print(f"{'raw_farm_unbatched us/task':<34}{'':>12}"
              f"{fmt(1e6 / median['raw_farm_unbatched']):>12}")
        print(f"{'auto batch / raw farm':<34}{'':>12}"
              f"{fmt(median['joblet_auto_batch'] / median['raw_farm_unbatched']):>12}x")
        print(f"{'batch 1 / raw farm':<34}{'':>12}"
              f"{fmt(median['joblet_batch_1'] / median['raw_farm_unbatched']):>12}x")
        others = "unknown" if watch.others is None else f"{watch.others:.1f} s"
        print(f"(load {watch.load_before} -> {watch.load_after}; other processes' CPU: {others})")


if __name__ == "__main__":
    main()
