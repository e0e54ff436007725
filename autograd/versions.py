"""Version counters: which storages were changed in place, and when.

Backward rules read their inputs' and output's data when backward runs, not copies saved in
forward. So a change in place between forward and backward (``w += 100`` under ``no_grad``,
``p.data.add_(...)``, ``opt.step()`` between two backward passes of one graph) would give a
wrong gradient. Every in-place change that does not record an op calls ``mark_modified``,
which stamps the storage with a number from the nodes' sequence; backward compares it with
the number of each node it runs (made after its inputs): a storage stamped later than a node
was changed after that node used it, and backward raises instead of computing.

A storage is the NumPy array that owns the memory (views share it, as ``Tensor.data`` and
``detach()`` do) or, for a ``Value``, the node itself. Nothing is kept alive: each record
holds a weak reference, and dead ones are dropped as records pile up.
"""
import dis
import inspect
import weakref

import numpy as np

from .node import new_sequence_number


class _Record:
    __slots__ = ("ref", "seq", "count")


_RECORDS = {}  # id(storage) -> _Record


class _Latest:
    """The stamp of the newest change: a node made after it cannot have seen one (the fast
    test backward does per node)."""

    seq = 0


LATEST = _Latest()
_PRUNE_AT = [256]


def _storage(node_or_array):
    """The object that owns the memory: the base ndarray of an array's views, or a Value."""
    if not getattr(node_or_array, "is_array", True):
        return node_or_array
    array = getattr(node_or_array, "raw", node_or_array)
    while isinstance(getattr(array, "base", None), np.ndarray):
        array = array.base
    return array


def mark_modified(node_or_array):
    """Record that ``node_or_array``'s storage was just changed in place (no op recorded)."""
    storage = _storage(node_or_array)
    record = _RECORDS.get(id(storage))
    if record is None or record.ref() is not storage:
        record = _Record()
        try:
            record.ref = weakref.ref(storage)
        except TypeError:  # a storage that cannot be watched (a NumPy scalar): nothing saved it
            return
        record.count = 0
        _RECORDS[id(storage)] = record
        _prune_if_large()
    record.count += 1
    record.seq = LATEST.seq = new_sequence_number()


def version(node):
    """How many in-place changes ``node``'s storage has had (PyTorch's ``_version``)."""
    storage = _storage(node)
    record = _RECORDS.get(id(storage))
    return record.count if record is not None and record.ref() is storage else 0


def _changed_after(node, seq):
    storage = _storage(node)
    record = _RECORDS.get(id(storage))
    return record is not None and record.seq > seq and record.ref() is storage


def check_unchanged(node):
    """Raise if data ``node``'s backward rule reads (its output, its inputs) changed in place
    after ``node`` was made. Called by backward only for nodes older than ``LATEST``."""
    reads = _read_positions(node.op)
    for position, x in enumerate((node,) + tuple(node.parents)):
        # position 0 is the rule's ``out`` argument (1 after ``g``), input i its argument i + 2
        if (reads is None or position + 1 in reads) and _changed_after(x, node._seq):
            raise RuntimeError(_message(node, x, position))


_READS = {}  # op name -> what _read_positions found


def _read_positions(op):
    """The argument positions an op's backward rules read (``g`` is 0, ``out`` 1, input i is
    i + 2), from their bytecode; None (all of them) when a rule cannot be inspected. As in
    PyTorch, data a rule never reads (``x + y`` reads neither) may change without an error."""
    if op.name not in _READS:
        positions = set()
        for rule in op.rules if op.rules is not None else (op.backward,):
            read = _arguments_read(rule)
            if read is None:
                positions = None
                break
            positions |= read
        _READS[op.name] = positions
    return _READS[op.name]


def _arguments_read(function):
    code = getattr(function, "__code__", None)
    if code is None or code.co_flags & inspect.CO_VARARGS:
        return None
    loaded = set(code.co_cellvars)  # read by an inner function
    for instruction in dis.get_instructions(code):
        if instruction.opname.startswith("LOAD_FAST"):
            value = instruction.argval
            loaded.update(value if isinstance(value, tuple) else (value,))
    names = code.co_varnames[:code.co_argcount]
    return {i for i, name in enumerate(names) if name in loaded}


def _message(node, x, position):
    what = "its output" if position == 0 else f"its input {position - 1}"
    kind = (f"a {x.raw.dtype} tensor of shape {tuple(x.raw.shape)}" if x.is_array
            else f"a Value (data {x.raw!r})")
    return (f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {what}, {kind} at version {version(x)}, was changed after "
            f"'{node.op.name}' used it in forward, so its gradient would be wrong. Change it "
            f"after backward() (opt.step() after every backward of a graph), or compute a new "
            f"tensor instead (w = w + 1)")


def _prune_if_large():
    """Drop records of storages that died, once the table has doubled since the last prune."""
    if len(_RECORDS) < _PRUNE_AT[0]:
        return
    for key in [key for key, record in _RECORDS.items() if record.ref() is None]:
        del _RECORDS[key]
    _PRUNE_AT[0] = max(256, 2 * len(_RECORDS))
