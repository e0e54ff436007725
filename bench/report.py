"""The report ``python -m bench`` prints: each workload's engines with their spread, the
sweeps, the targets met or missed, and how the machine was loaded."""
import os

GC_VARIANTS = {"run_collected": "with gc.collect() before each repetition, outside the timed "
                                "region",
               "run_gc_off": "with the garbage collector off while timing (collected after, "
                             "untimed)"}
INSTALL_HINTS = {
    "pytorch": "pip install torch==2.13.0 (pinned: on these machines it is the CPU build; "
               "an unpinned torch pulls a multi-GB GPU build)",
    "micrograd": "pip install micrograd",
}


def _fmt(value):
    if value >= 100:
        return f"{value:8.1f}"
    return f"{value:8.2f}" if value >= 1 else f"{value:8.3f}"


def _spread(section, engine):
    rounds = section.get("round_ratios", {}).get(f"kissgrad/{engine}")
    best = section.get("min_ratios", {}).get(f"kissgrad/{engine}")
    if not rounds:
        return ""
    return f"  (rounds {rounds['min']:.2f}-{rounds['max']:.2f}; of the minima {best:.2f}x)"


def _print_engines(section, rows, spread):
    kissgrad = rows.get("kissgrad", {}).get("median")
    for engine, row in rows.items():
        if "skipped" in row:
            hint = INSTALL_HINTS.get(engine, "")
            print(f"  {engine:<16}skipped: {row['skipped']}" + (f"; {hint}" if hint else ""))
            continue
        ratio = f"{kissgrad / row['median']:6.2f}x" if kissgrad and engine != "kissgrad" else ""
        print(f"  {engine:<16}{_fmt(row['median'])} {_fmt(row['min'])} {_fmt(row['max'])}"
              f"{row['reps']:>6}  {ratio}" + (_spread(section, engine) if spread and ratio else ""))


def _print_workload(name, section):
    print(f"\n{name} ({section['unit']}, {section['steps_per_repetition']} a repetition; "
          f"{section['warmup']} warm-up)")
    print(f"  {'engine':<16}{'median':>9}{'min':>9}{'max':>9}{'reps':>6}  kissgrad/engine")
    _print_engines(section, section["engines"], spread=True)
    for command, label in GC_VARIANTS.items():
        if section.get(command):
            print(f"  {label}:")
            _print_engines(section, section[command], spread=False)


def _print_sweep(name, rows):
    """One line per point: each engine's median, then kissgrad's ratios with their spread."""
    first = next(iter(rows.values()))
    engines = [e for e in first["engines"] if "median" in first["engines"][e]]
    others = [e for e in engines if e != "kissgrad"]
    print(f"\n{name} ({first['unit']}, medians; {first['warmup']} warm-up, "
          f"{first['engines'][engines[0]]['reps']} timed repetitions of the steps shown)")
    print(f"  {'point':<12}{'steps':>6}" + "".join(f"{e:>10}" for e in engines)
          + "".join(f"{'kg/' + e:>12}" for e in others) + "  per-round range")
    for section in rows.values():
        row = section["engines"]
        medians = "".join(f"{_fmt(row[e]['median']):>10}" if "median" in row.get(e, {})
                          else f"{'-':>10}" for e in engines)
        ratios = "".join(f"{section['ratios'].get('kissgrad/' + e, float('nan')):11.2f}x"
                         for e in others)
        ranges = ", ".join(f"{r['min']:.2f}-{r['max']:.2f}"
                           for r in section.get("round_ratios", {}).values())
        print(f"  {section['point']:<12}{section['steps_per_repetition']:>6}{medians}{ratios}"
              f"  {ranges}")
    for engine, row in first["engines"].items():
        if "skipped" in row:
            print(f"  {engine}: skipped: {row['skipped']}")


def print_report(results):
    """Print one bench run's results (the dict ``python -m bench`` writes as JSON)."""
    info = results["meta"]
    plural = "s" if info["threads"] != 1 else ""
    print(f"kissgrad benchmarks: {info['threads']} thread{plural} per engine, {info['dtype']}, "
          f"{info['machine']}, Python {info['python']}"
          + ("  [--quick: smoke run, not comparable]" if info["quick"] else ""))
    print(f"isolation: {info['isolation']}")
    print("versions: " + ", ".join(f"{k} {v or '-'}" for k, v in info["versions"].items()))
    before, after = info.get("load_before"), info.get("load_after")
    if before is not None and after is not None:
        print(f"load average (1 min) before {before:.2f}, after {after:.2f} on "
              f"{os.cpu_count()} CPUs" + ("  [busy machine: other work shares the cores, and "
                                         "ratios to PyTorch's 2-thread OpenMP suffer most]"
                                         if max(before, after) > 0.5 else ""))
    sweeps = {}
    for name, section in results["workloads"].items():
        if "sweep" in section:
            sweeps.setdefault(section["sweep"], {})[name] = section
        else:
            _print_workload(name, section)
    for name, rows in sweeps.items():
        _print_sweep(name, rows)
        grown = results.get("growth", {}).get(name)
        if grown:
            print(f"  {grown['to']} over {grown['from']} (linear: {grown['linear']:g}x): "
                  + ", ".join(f"{e} {r:.2f}x" for e, r in grown["engines"].items()))
    print("\ntargets (ratio of medians; in brackets the ratio of the minima)")
    for check in results["targets"]:
        ratio = "n/a (not run)" if check["ratio"] is None else f"{check['ratio']:.2f}x"
        best = "" if check["min_ratio"] is None else f"({check['min_ratio']:.2f}x)"
        verdict = {True: "met", False: "MISSED", None: "-"}[check["met"]]
        print(f"  {check['target']:<52}{ratio:>14} {best:>9}  target {check['bound']}x  "
              f"{verdict}")
    memory = results.get("memory")
    if memory:
        print("\npeak memory, mlp_epoch (max RSS of a fresh process after two epochs)")
        for engine, row in memory.items():
            if "skipped" in row:
                print(f"  {engine:<16}skipped: {row['skipped']}")
            else:
                print(f"  {engine:<16}{row['max_rss_mb']:8.1f} MB  "
                      f"({row['after_setup_mb']:.1f} MB after imports and setup)")
    compiled = results.get("numba_compile")
    if compiled:
        print(f"\nNumba one-off cost (kernels: {compiled['cold']['backend']}; never in the step "
              f"times above): first repetition minus a steady one, cnn_step then mlp_epoch")
        for label, row in compiled.items():
            print(f"  {label:<7} cache: {row['total_overhead_s']:.2f} s (cnn_step "
                  f"{row['cnn_step']['overhead_s']:.2f} s, mlp_epoch {row['mlp_epoch']['overhead_s']:.2f}"
                  f" s), import of autograd + nn {row['import_s']:.2f} s")
