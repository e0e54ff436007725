"""Scatter-add of rows: the backward of ``x[index]`` with an integer array and of Embedding.

Repeated indices accumulate into the same row; the jitted loops run serially for that
reason, and the NumPy twin uses ``np.add.at``.
"""
import numpy as np

from ._backend import _pick

# --- scatter-add of rows (backward of x[index] and of Embedding) ------------------------

def _scatter_add_rows_loops(out, g, index):
    for k in range(index.shape[0]):  # serial: repeated indices add into the same row
        out[index[k]] += g[k]
    return out


def _scatter_add_rows_numpy(out, g, index):
    np.add.at(out, index, g)
    return out


_scatter_add_rows = _pick(_scatter_add_rows_loops, _scatter_add_rows_numpy)


def scatter_add_rows(g, index, shape, out=None):
    """``out`` (by default zeros of ``shape``) with ``g[k]`` added at row ``index[k]``, in place;
    repeated rows accumulate.

    ``index`` is an integer array (any shape, entries in [-shape[0], shape[0])) and
    ``g`` has shape ``index.shape + shape[1:]``: the gradient of ``x[index]``. The engine
    passes ``out``, the gradient it is already accumulating for ``x``, so that many
    lookups of one table (an Embedding over a long sequence) add into one buffer.
    """
    rows = shape[0]
    flat = np.asarray(index, dtype=np.int64).reshape(-1)
    if flat.size and (flat.min() < -rows or flat.max() >= rows):
        raise IndexError(f"index out of range for {rows} rows")
    flat = np.where(flat < 0, flat + rows, flat)  # negative rows count from the end
    g2 = np.ascontiguousarray(g).reshape(flat.size, int(np.prod(shape[1:], dtype=np.int64)))
    if out is None:
        out = np.zeros(shape, dtype=g.dtype)
    # the kernel adds into rows of a 2-D view; a non-contiguous ``out`` has none, so it gets
    # a contiguous copy, written back (reshape would silently hand the kernel a copy)
    table = out if out.flags.c_contiguous else np.ascontiguousarray(out)
    _scatter_add_rows(table.reshape(rows, -1), g2.astype(out.dtype, copy=False), flat)
    if table is not out:
        out[...] = table
    return out
