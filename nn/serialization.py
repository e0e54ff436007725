"""``save(obj, f)`` and ``load(f)``: checkpoints in a safe format, never pickle.

A checkpoint is a ``.npz`` archive: every array and Tensor of ``obj`` is one member, and a
JSON manifest (member ``__kissgrad__``, UTF-8 bytes) records the structure around them:
dicts (keys of any JSON-able type, order kept), lists, tuples, None, bools, ints, floats
and strings. Loading runs no code from the file (``np.load(allow_pickle=False)``), so a
checkpoint from a stranger cannot execute anything; it can only be refused.
"""
import json
import math
from collections import OrderedDict

import numpy as np

from autograd import Tensor

from ._files import atomic_write, describe, read_npz

MANIFEST = "__kissgrad__"
FORMAT_VERSION = 1
_LITERALS = (str, bool, int, type(None))


class _Encoder:
    """Turns an object into a JSON-able manifest, collecting its arrays under ``t0, t1, ...``."""

    def __init__(self):
        self.arrays = OrderedDict()
        self.keys = {}  # id(array or Tensor) -> member key: a shared tensor is stored once
        self.path = set()  # ids of the containers being encoded, to refuse cycles

    def encode(self, obj, where):
        if isinstance(obj, _LITERALS):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"float": repr(obj)}  # JSON has no nan/inf
        if isinstance(obj, Tensor):
            return {"tensor": self._store(obj, obj.raw, where),
                    "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            return {"ndarray": self._store(obj, obj, where)}
        if isinstance(obj, np.generic):
            return {"scalar": self._store(obj, np.asarray(obj), where)}
        if isinstance(obj, (dict, list, tuple)):
            return self._container(obj, where)
        raise TypeError(f"save: {where} is a {type(obj).__name__}; checkpoints hold only dicts, "
                        f"lists, tuples, Tensors, ndarrays, numbers, strings and None")

    def _store(self, owner, array, where):
        if array.dtype.hasobject:
            raise TypeError(f"save: {where} is an array of Python objects (dtype {array.dtype}); "
                            f"only plain numeric arrays can be saved")
        key = self.keys.get(id(owner))
        if key is None:
            key = self.keys[id(owner)] = f"t{len(self.arrays)}"
            self.arrays[key] = array
        return key

    def _container(self, obj, where):
        if id(obj) in self.path:
            raise ValueError(f"save: {where} contains itself (a circular reference)")
        self.path.add(id(obj))
        try:
            if isinstance(obj, dict):
                items = [[self._key(k, where), self.encode(v, f"{where}[{k!r}]")]
                         for k, v in obj.items()]
                return {"dict": items, "ordered": isinstance(obj, OrderedDict)}
            kind = "tuple" if isinstance(obj, tuple) else "list"
            return {kind: [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        finally:
            self.path.discard(id(obj))

    def _key(self, key, where):
        if isinstance(key, (_LITERALS, float, tuple)):
            return self.encode(key, f"a key of {where}")
        raise TypeError(f"save: {where} has a key of type {type(key).__name__} ({key!r}); "
                        f"keys must be strings, numbers, None or tuples of them")


def save(obj, f):
    """Write ``obj`` (a state dict, or nested dicts/lists of them) to ``f``, as ``torch.save``.

    ``f`` is a path (any extension; written atomically: a temporary file beside it is
    fsynced and renamed over it, and removed if anything fails) or a binary file object.
    Values may be Tensors, ndarrays, numbers, strings, None, and dicts/lists/tuples of
    them; anything else raises ``TypeError`` naming where it sits. Differences from
    PyTorch: a ``.npz`` archive with a JSON manifest instead of a pickle, so arbitrary
    Python objects cannot be saved; a saved ``Parameter`` loads as a Tensor requiring grad.

    Example::

        kissgrad.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                       "epoch": 3}, "checkpoint.npz")
    """
    encoder = _Encoder()
    manifest = {"format": "kissgrad", "version": FORMAT_VERSION, "object": encoder.encode(obj, "obj")}
    text = json.dumps(manifest, allow_nan=False).encode("utf-8")
    arrays = OrderedDict(encoder.arrays)
    arrays[MANIFEST] = np.frombuffer(text, dtype=np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return None
    atomic_write(f, lambda file: np.savez(file, **arrays))
    return None


class _Decoder:
    """Rebuilds an object from a manifest and the archive's arrays, checking every entry."""

    def __init__(self, arrays, where):
        self.arrays, self.where, self.made = arrays, where, {}

    def decode(self, node):
        if isinstance(node, (str, bool, int, float)) or node is None:
            return node
        if isinstance(node, dict) and len(node) in (1, 2):
            tag = next(iter(node))
            method = getattr(self, f"_{tag}", None)
            if tag in ("float", "tensor", "ndarray", "scalar", "dict", "list", "tuple") and method:
                return method(node)
        raise ValueError(f"{self.where}: the manifest holds an entry kissgrad does not know: "
                         f"{str(node)[:80]}")

    def _float(self, node):
        if node["float"] not in ("nan", "inf", "-inf"):
            raise ValueError(f"{self.where}: bad float entry {node['float']!r} in the manifest")
        return float(node["float"])

    def _array(self, key):
        if not isinstance(key, str) or key not in self.arrays or key == MANIFEST:
            raise ValueError(f"{self.where}: the manifest refers to a missing array {key!r}")
        return self.arrays[key]

    def _tensor(self, node):
        key = node["tensor"]
        if ("tensor", key) not in self.made:
            tensor = Tensor(self._array(key))
            if node.get("requires_grad") is True and tensor.dtype.kind == "f":
                tensor.requires_grad_(True)
            self.made["tensor", key] = tensor
        return self.made["tensor", key]

    def _ndarray(self, node):
        return self.made.setdefault(("ndarray", node["ndarray"]), self._array(node["ndarray"]))

    def _scalar(self, node):
        array = self._array(node["scalar"])
        if array.ndim != 0:
            raise ValueError(f"{self.where}: scalar entry {node['scalar']!r} has shape {array.shape}")
        return array[()]

    def _dict(self, node):
        items = node["dict"]
        if not isinstance(items, list) or not all(isinstance(i, list) and len(i) == 2 for i in items):
            raise ValueError(f"{self.where}: a dict entry of the manifest is malformed")
        pairs = [(self._hashable(self.decode(k)), self.decode(v)) for k, v in items]
        return OrderedDict(pairs) if node.get("ordered") is True else dict(pairs)

    def _hashable(self, key):
        if isinstance(key, (list, dict, np.ndarray, Tensor)):
            raise ValueError(f"{self.where}: a dict key in the manifest is not hashable")
        return key

    def _list(self, node):
        return [self.decode(v) for v in self._items(node["list"])]

    def _tuple(self, node):
        return tuple(self.decode(v) for v in self._items(node["tuple"]))

    def _items(self, items):
        if not isinstance(items, list):
            raise ValueError(f"{self.where}: a list entry of the manifest is malformed")
        return items


def _read_manifest(arrays, where):
    raw = arrays[MANIFEST]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{where}: the manifest is not a byte string")
    try:
        manifest = json.loads(raw.tobytes().decode("utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: the manifest is not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "kissgrad":
        raise ValueError(f"{where}: the manifest is not a kissgrad manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise ValueError(f"{where}: checkpoint format version {manifest.get('version')!r}; this "
                         f"kissgrad reads version {FORMAT_VERSION}")
    return manifest.get("object")


def load(f, map_location=None, weights_only=True):
    """Return the object ``save`` wrote to ``f`` (a path or a binary file object), as ``torch.load``.

    Tensors come back as Tensors, dicts keep their order. A ``.npz`` without a manifest
    (``Module.save``, ``np.savez``) loads as an OrderedDict of name -> Tensor. Nothing in
    the file is executed (``allow_pickle=False``), so ``weights_only`` is always in effect;
    ``map_location`` may only name the CPU. A missing file raises ``FileNotFoundError``,
    an unreadable one ``PermissionError``, a corrupt or foreign one ``ValueError`` naming it.

    Example::

        checkpoint = kissgrad.load("checkpoint.npz")
        model.load_state_dict(checkpoint["model"])
    """
    _check_location(map_location)
    where = describe(f)
    arrays = read_npz(f)
    if MANIFEST not in arrays:
        return OrderedDict((key, Tensor(array)) for key, array in arrays.items())
    try:
        return _Decoder(arrays, where).decode(_read_manifest(arrays, where))
    except ValueError as error:
        raise ValueError(str(error) if str(error).startswith(where) else f"{where}: {error}") from None
    except (UnicodeDecodeError, RecursionError, KeyError, TypeError) as error:
        raise ValueError(f"{where} has a corrupt manifest ({type(error).__name__}: {error})") from None


def _check_location(map_location):
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return  # torch's remapping forms: everything is on the CPU already
    if str(map_location).split(":")[0] != "cpu":
        raise RuntimeError(f"load: map_location={map_location!r}, but kissgrad runs on the CPU "
                           f"only (NumPy); use map_location='cpu' or leave it out")


__all__ = ["save", "load"]
