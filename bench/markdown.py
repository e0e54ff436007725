"""The README's Performance table from a bench run: ``python -m bench.markdown [RESULTS]``.

``RESULTS`` is the JSON ``python -m bench`` wrote (default ``bench/results.json``). One row per
workload (a sweep: per point) with each engine's median, kissgrad's ratio to PyTorch (to
micrograd for scalar_mlp) and the spread of that ratio over the interleaved rounds, then the
targets. ``--compare BEFORE AFTER`` prints kissgrad/PyTorch before and after a change, from
two runs: a ratio to PyTorch measured in the same run cancels most of a shared machine's drift.
"""
import argparse
import json
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent / "results.json"
YARDSTICKS = ("pytorch", "micrograd")


def _median(row, engine):
    value = row["engines"].get(engine, {}).get("median")
    return "" if value is None else f"{value:.3g}" if value < 10 else f"{value:.1f}"


def _ratio(row):
    """(yardstick, kissgrad / yardstick median ratio, per-round range text) or None."""
    for engine in YARDSTICKS:
        ratio = row.get("ratios", {}).get(f"kissgrad/{engine}")
        if ratio is None and "median" in row["engines"].get(engine, {}):
            ratio = row["engines"]["kissgrad"]["median"] / row["engines"][engine]["median"]
        if ratio is not None:
            rounds = row.get("round_ratios", {}).get(f"kissgrad/{engine}")
            low, high = (rounds["min"], rounds["max"]) if rounds else (None, None)
            if rounds and engine == "micrograd":  # shown as a speed-up: micrograd / kissgrad
                low, high = 1 / high, 1 / low
            spread = f"{low:.2f}-{high:.2f}" if rounds else ""
            return engine, ratio, spread
    return None


def table(results):
    """The Markdown lines of one run's table."""
    lines = ["| workload (unit) | kissgrad | PyTorch | NumPy floor | kissgrad / PyTorch "
             "| per-round range |", "|---|---|---|---|---|---|"]
    for name, row in results["workloads"].items():
        found = _ratio(row)
        other = _median(row, "pytorch") or (f"micrograd {_median(row, 'micrograd')}"
                                              if _median(row, "micrograd") else "")
        ratio, spread = "", ""
        if found:
            engine, value, spread = found
            ratio = f"{value:.2f}x" if engine == "pytorch" else f"{1 / value:.2f}x faster than micrograd"
        lines.append(f"| {name} ({row['unit']}) | {_median(row, 'kissgrad')} | {other} | "
                     f"{_median(row, 'numpy')} | {ratio} | {spread} |")
    return lines


def targets(results):
    """The Markdown lines of the targets, met or missed in this run."""
    lines = ["| target | this run (ratio of medians) | of the minima | met |", "|---|---|---|---|"]
    for check in results.get("targets", []):
        if check["ratio"] is None:
            continue
        met = "met" if check["met"] else "missed"
        lines.append(f"| {check['target']} {check['bound']}x | {check['ratio']:.2f}x | "
                     f"{check['min_ratio']:.2f}x | {met} |")
    for name, grow in results.get("growth", {}).items():
        engines = ", ".join(f"{e} {v:.2f}x" for e, v in grow["engines"].items())
        lines.append(f"| {name}: time at {grow['to']} over {grow['from']} (linear: "
                     f"{grow['linear']:g}x) | {engines} | | |")
    return lines


def compare(before, after):
    """kissgrad/PyTorch per workload in two runs, and after over before."""
    lines = ["| workload | before: kissgrad / PyTorch | after | after / before |", "|---|---|---|---|"]
    for name, row in after["workloads"].items():
        old, new = before["workloads"].get(name), _ratio(row)
        old = _ratio(old) if old else None
        if old and new and old[0] == new[0]:
            lines.append(f"| {name} ({new[0]}) | {old[1]:.2f}x | {new[1]:.2f}x | {new[1] / old[1]:.2f} |")
    return lines


def main():
    """Print the table of a run, or ``--compare`` two runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default=str(DEFAULT))
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        before, after = (json.loads(Path(p).read_text()) for p in args.compare)
        print("\n".join(compare(before, after)))
        return
    results = json.loads(Path(args.results).read_text())
    print("\n".join(table(results) + [""] + targets(results)))


if __name__ == "__main__":
    main()
