"""Collation: turning a list of samples into one batch (``torch.utils.data.default_collate``).

A batch mirrors the structure of one sample: Tensors and ndarrays are stacked along a new
first axis, Python and NumPy numbers become 1-d Tensors, strings stay a list, and tuples,
lists, namedtuples and dicts are collated field by field (a tuple sample gives a list).
"""
import collections.abc as abc
import copy

import numpy as np

from autograd import Tensor, from_numpy, stack

_NOT_NUMERIC = "SaUO"  # NumPy kinds of strings and objects, which no Tensor can hold
_UNSUPPORTED = ("default_collate: batch must contain tensors, numpy arrays, numbers, "
                "dicts or lists; found {}")


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _rebuild_mapping(template, values):
    """A mapping like `template` (same type where it can be built) holding `values`."""
    if isinstance(template, abc.MutableMapping):
        clone = copy.copy(template)
        clone.update(values)
        return clone
    try:
        return type(template)(values)
    except TypeError:
        return dict(values)


def _rebuild_sequence(template, items):
    """A sequence like `template` holding `items`; a plain tuple becomes a list, as in PyTorch."""
    if _is_namedtuple(template):
        return type(template)(*items)
    if isinstance(template, tuple):
        return list(items)
    if isinstance(template, abc.MutableSequence):
        clone = copy.copy(template)
        clone[:] = items
        return clone
    try:
        return type(template)(items)
    except TypeError:
        return list(items)


def _check_same_shape(shapes):
    for i, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but "
                               f"got {list(shapes[0])} at entry 0 and {list(shape)} at entry {i}")


def _stack_tensors(batch):
    """One Tensor with the samples along a new first axis; differentiable if any sample is."""
    for i, t in enumerate(batch):
        if not isinstance(t, Tensor):
            raise TypeError(f"default_collate: expected a Tensor as element {i} of the batch "
                            f"(element 0 is one), got {type(t).__name__}")
    _check_same_shape([t.shape for t in batch])
    if any(t.requires_grad for t in batch):
        return stack(list(batch))
    return from_numpy(np.stack([t.raw for t in batch]))  # np.stack made a fresh array


def _stack_arrays(batch):
    if batch[0].dtype.kind in _NOT_NUMERIC:
        raise TypeError(_UNSUPPORTED.format(batch[0].dtype))
    arrays = [np.asarray(a) for a in batch]
    _check_same_shape([a.shape for a in arrays])
    return from_numpy(np.stack(arrays))


def _python_numbers(batch):
    """Python numbers as ``torch.tensor`` types them: bools bool, ints int64, floats float32.

    The batch was picked by its first element being an int; a float among the rest makes
    the whole batch float32, PyTorch's default float type.
    """
    if all(isinstance(b, bool) for b in batch):
        return from_numpy(np.array(batch, dtype=np.bool_))
    if any(isinstance(b, float) for b in batch):
        return from_numpy(np.array(batch, dtype=np.float32))
    return from_numpy(np.array(batch, dtype=np.int64))


def _collate_fields(batch):
    """Collate a batch of containers (dicts, namedtuples, sequences) field by field."""
    elem = batch[0]
    if isinstance(elem, abc.Mapping):
        return _rebuild_mapping(elem, {key: default_collate([d[key] for d in batch])
                                       for key in elem})
    size = len(elem)
    if any(len(sample) != size for sample in batch):
        raise RuntimeError(f"each element in list of batch should be of equal size, got sizes "
                           f"{[len(sample) for sample in batch]}")
    return _rebuild_sequence(elem, [default_collate(field) for field in zip(*batch)])


def default_collate(batch):
    """Return the samples in `batch` (a list) merged into one batch, as PyTorch's ``default_collate``.

    By the type of the first sample: Tensor -> stacked Tensor (differentiable when a sample
    requires grad); ndarray -> stacked Tensor of its dtype; NumPy scalar -> 1-d Tensor of its
    dtype; Python float -> float64; Python int -> int64 (bool -> bool); str/bytes -> the batch
    unchanged; dict, namedtuple, list -> the same kind of container, collated per field;
    tuple -> a list of collated fields. Samples of unequal shapes raise ``RuntimeError``.

    Example::

        default_collate([(0, np.zeros(2)), (1, np.ones(2))])  # [tensor([0, 1]), 2x2 float64]
    """
    if len(batch) == 0:
        raise ValueError("default_collate needs a non-empty batch, got batch=[]")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        return _stack_arrays(batch)
    if isinstance(elem, (np.bool_, np.number)):   # before float: np.float64 is a float
        return from_numpy(np.array(batch))
    if isinstance(elem, float):
        return from_numpy(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):
        return _python_numbers(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, (abc.Mapping, abc.Sequence)):
        return _collate_fields(batch)
    raise TypeError(_UNSUPPORTED.format(type(elem)))


def default_convert(data):
    """Return `data` with every ndarray and NumPy scalar turned into a Tensor (no copy).

    The collation used when batching is off (``DataLoader(batch_size=None)``): numbers and
    strings stay as they are, containers are converted element by element, and a plain tuple
    becomes a list, as in PyTorch's ``default_convert``.
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.bool_, np.number)):
        if data.dtype.kind in _NOT_NUMERIC:
            return data
        return from_numpy(np.asarray(data))
    if isinstance(data, abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data
