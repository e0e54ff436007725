"""Where each op's gradient is defined: ``python scripts/op_gradients.py [--markdown]``.

For every op of ``autograd.OPS`` it prints the file and line of its backward rule (one per
input for ops with per-input rules) and, for a rule that hands the work to a backward op of
its own (``tanh`` -> ``tanh_backward``), that op's name: the list the op contract asks for
(each gradient written once, in one place; a kernel-backed backward is an op of its own).
"""
import argparse
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograd.op_table import OPS  # noqa: E402


def _where(function):
    """``path:line`` of a rule, relative to the project."""
    path = Path(inspect.getsourcefile(function)).resolve().relative_to(ROOT)
    return f"{path}:{inspect.getsourcelines(function)[1]}"


def _backward_ops_named(function):
    """Backward ops a rule calls (names of ``*_BACKWARD*`` globals it reads)."""
    names = set(function.__code__.co_names)
    for const in function.__code__.co_consts:  # nested lambdas
        if inspect.iscode(const):
            names |= set(const.co_names)
    return sorted(OPS_BY_GLOBAL[n] for n in names if n in OPS_BY_GLOBAL and "BACKWARD" in n)


def _globals_naming_ops():
    table = {}
    for op in OPS.values():
        for rule in op.rules or (op.backward,):
            for name, value in getattr(rule, "__globals__", {}).items():
                if value is op:
                    table[name] = op.name
    return table


OPS_BY_GLOBAL = _globals_naming_ops()


def rows():
    """(op, where its rule is, backward ops it delegates to) for every op, by name."""
    for name in sorted(OPS):
        op = OPS[name]
        rules = op.rules or (op.backward,)
        where = ", ".join(_where(rule) for rule in rules)
        delegates = sorted({d for rule in rules for d in _backward_ops_named(rule)})
        yield name, where, ", ".join(delegates)


def main():
    """Print the table (``--markdown`` for Markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    args = parser.parse_args()
    table = list(rows())
    if args.markdown:
        print("| op | rule (file:line) | kernel-backed backward op |\n|---|---|---|")
        for name, where, delegates in table:
            print(f"| {name} | {where} | {delegates} |")
    else:
        for name, where, delegates in table:
            print(f"{name:34s} {where:40s} {delegates}")
    print(f"{len(table)} ops", file=sys.stderr)


if __name__ == "__main__":
    main()
