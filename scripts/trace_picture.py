#!/usr/bin/env python3
"""Draws a joblet trace (Options::trace_file / JOBLET_TRACE, Chrome trace-event JSON) as a PNG
timeline: a row per worker lane, a bar per task, batches outlined, kernel calls as thin bars.

    scripts/trace_picture.py trace.json docs/trace.png [--title TEXT]

Perfetto (ui.perfetto.dev) or chrome://tracing open the same file interactively; this is for
a picture in the README. Needs matplotlib (Debian: python3-matplotlib).
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)


def read(path):
    with open(path, encoding="utf-8") as file:
        events = json.load(file)["traceEvents"]
    names = {}
    for event in events:
        if event["ph"] == "M" and event["name"] == "thread_name":
            names[(event["pid"], event["tid"])] = event["args"]["name"]
    slices = [event for event in events if event["ph"] == "X"]
    return slices, names


def draw(slices, names, title, out):
    lanes = sorted({(s["pid"], s["tid"]) for s in slices if s["cat"] != "run"},
                   key=lambda lane: (names.get(lane, "").startswith("calling"), lane))
    row = {lane: i for i, lane in enumerate(lanes)}
    start = min(s["ts"] for s in slices)
    fig, axes = plt.subplots(figsize=(11, 0.7 + 0.55 * len(lanes)), dpi=110)
    colours = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"]
    for s in slices:
        lane = (s["pid"], s["tid"])
        if lane not in row:
            continue
        x = (s["ts"] - start) / 1000
        width = s["dur"] / 1000
        y = row[lane]
        if s["cat"] == "batch":
            axes.add_patch(plt.Rectangle((x, y - 0.42), width, 0.84, fill=False,
                                         edgecolor="black", linewidth=0.8))
        elif s["cat"] == "task":
            colour = colours[s["args"]["batch"] % len(colours)]
            axes.add_patch(plt.Rectangle((x, y - 0.3), width, 0.6, color=colour, linewidth=0))
        elif s["cat"] == "kernel":
            axes.add_patch(plt.Rectangle((x, y - 0.38), width, 0.08, color="black", linewidth=0))
    end = max((s["ts"] + s["dur"] - start) / 1000 for s in slices)
    axes.set_xlim(0, end * 1.01)
    axes.set_ylim(-0.6, len(lanes) - 0.4)
    axes.set_yticks(range(len(lanes)))
    axes.set_yticklabels([names.get(lane, f"{lane[0]}/{lane[1]}") for lane in lanes])
    axes.invert_yaxis()
    axes.set_xlabel("milliseconds since the first event")
    axes.set_title(title, fontsize=10)
    axes.grid(axis="x", linewidth=0.3)
    fig.tight_layout()
    fig.savefig(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("png")
    parser.add_argument("--title", default="joblet trace: tasks coloured by batch, batches "
                                           "outlined, kernel calls as thin black bars")
    arguments = parser.parse_args()
    slices, names = read(arguments.trace)
    draw(slices, names, arguments.title, arguments.png)


if __name__ == "__main__":
    main()
