"""Kernel backend: which implementation every kernel uses.

``KISSGRAD_KERNELS`` (``numba``, the default, or ``numpy``) is read once, at import, and
``_pick`` hands each kernel module its kernel, recording the pair in ``PAIRS`` for the
tests. Numba itself is imported only when the first kernel runs: its import takes about
0.3 s and leaves about 30,000 objects that every full garbage collection then walks, so
code that never runs a kernel (scalar ``Value`` graphs) should not carry it (micrograd's
demo step took 210 ms with Numba imported against 179 ms without, the collector's full
passes 58 ms against 30 ms).
"""
import importlib.util
import os
import threading
import warnings

# KISSGRAD_KERNELS=numpy swaps every kernel for its NumPy twin (read once, at import)
KERNELS = os.environ.get("KISSGRAD_KERNELS", "numba").strip().lower() or "numba"
if KERNELS not in ("numba", "numpy"):
    raise ValueError(f"KISSGRAD_KERNELS must be 'numba' or 'numpy', got {KERNELS!r}")


def _numba_installed():
    """Whether ``import numba`` can be tried, found without importing it."""
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):
        return False


# Numba is optional: without it everything works, only slower
HAVE_NUMBA = KERNELS == "numba" and _numba_installed()
BACKEND = ("numba" if HAVE_NUMBA else "numpy (KISSGRAD_KERNELS=numpy)" if KERNELS == "numpy"
           else "numpy (numba is not installed)")

PAIRS = {}
"""Every kernel by name: ``(in_use, loops, numpy_twin)``; the tests check loops against twins."""

_INLINE = []  # (module namespace, name) of helpers to jit inline before the first kernel
_NJIT = []  # numba.njit once imported (a list, so that no global statement is needed)
# Compiling happens once per kernel, under this lock: two threads making the first call at
# once would otherwise jit the inline helpers twice, which Numba refuses.
_COMPILE_LOCK = threading.RLock()


def jit_inline(namespace, name):
    """Have helper ``namespace[name]`` jitted with ``inline="always"`` (a constant window size
    then unrolls) before any kernel compiles; a no-op without Numba."""
    if HAVE_NUMBA:
        _INLINE.append((namespace, name))


def _njit():
    """``numba.njit``, imported on first use, after which the inline helpers are jitted."""
    with _COMPILE_LOCK:
        if not _NJIT:
            from numba import njit

            for namespace, name in _INLINE:
                namespace[name] = njit(cache=True, inline="always")(namespace[name])
            _NJIT.append(njit)
    return _NJIT[0]


def _pick(loops, twin):
    """The jitted ``loops`` when Numba is in use, else the NumPy ``twin``; records the pair.

    With Numba this returns a stand-in that, on its first call, imports Numba, jits
    ``loops`` (``cache=True``: a second process loads the machine code instead of
    compiling) and puts the jitted function in its place in the defining module
    (``_name_loops`` is bound to ``_name`` there), so later calls cost nothing extra. If
    importing Numba fails then, the twin is used and a warning says why.

    Serial: ``prange`` over the batch (``parallel=True``) made each pooling/col2im kernel
    1.3-2x faster alone on 2 cores, but cnn_step slower (median 17-21 ms against 11-13 ms
    serial): its threads fight BLAS's for the two cores. So the two cores go to BLAS.
    """
    key = loops.__name__[1:].removesuffix("_loops")
    if not HAVE_NUMBA:
        PAIRS[key] = (twin, loops, twin)
        return twin
    chosen = []

    def first_call(*args):
        if not chosen:
            with _COMPILE_LOCK:
                if not chosen:
                    chosen.append(_compiled(loops, twin))
                    if loops.__globals__.get("_" + key) is first_call:
                        loops.__globals__["_" + key] = chosen[0]
                    PAIRS[key] = (chosen[0], loops, twin)
        return chosen[0](*args)

    first_call.__name__ = first_call.__qualname__ = "_" + key
    PAIRS[key] = (first_call, loops, twin)
    return first_call


def _compiled(loops, twin):
    """``njit(cache=True)(loops)``, or ``twin`` with a warning if Numba cannot be imported."""
    try:
        return _njit()(cache=True)(loops)
    except ImportError as error:
        warnings.warn(f"kissgrad: numba is installed but cannot be imported ({error}); "
                      f"using the NumPy kernels", RuntimeWarning, stacklevel=3)
        return twin
