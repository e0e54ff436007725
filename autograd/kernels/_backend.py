"""Kernel backend: which implementation every kernel uses, chosen once, at import.

``KISSGRAD_KERNELS`` (``numba``, the default, or ``numpy``) is read here, Numba is
imported if it is installed and wanted, and ``_pick`` hands each kernel module the jitted
loops or the NumPy twin, recording the pair in ``PAIRS`` for the tests.
"""
import os

# KISSGRAD_KERNELS=numpy swaps every kernel for its NumPy twin (read once, at import)
KERNELS = os.environ.get("KISSGRAD_KERNELS", "numba").strip().lower() or "numba"
if KERNELS not in ("numba", "numpy"):
    raise ValueError(f"KISSGRAD_KERNELS must be 'numba' or 'numpy', got {KERNELS!r}")
HAVE_NUMBA = False
if KERNELS == "numba":
    try:  # Numba is optional: without it everything works, only slower
        from numba import njit
        HAVE_NUMBA = True
    except ImportError:
        pass
BACKEND = ("numba" if HAVE_NUMBA else "numpy (KISSGRAD_KERNELS=numpy)" if KERNELS == "numpy"
           else "numpy (numba is not installed)")


PAIRS = {}
"""Every kernel by name: ``(in_use, loops, numpy_twin)``; the tests check loops against twins."""


def _pick(loops, twin):
    """The jitted ``loops`` when Numba is in use, else the NumPy ``twin``; records the pair.

    Serial: ``prange`` over the batch (``parallel=True``) made each pooling/col2im kernel
    1.3-2x faster alone on 2 cores, but cnn_step slower (median 17-21 ms against 11-13 ms
    serial): its threads fight BLAS's for the two cores. So the two cores go to BLAS.
    """
    in_use = njit(cache=True)(loops) if HAVE_NUMBA else twin
    PAIRS[loops.__name__[1:].removesuffix("_loops")] = (in_use, loops, twin)
    return in_use
