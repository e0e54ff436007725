"""GFLOP/s of cnn_large's two convolutions against this machine's float32 GEMM peak.

    python -m bench.conv_gflops [--reps N]

The peak is one big ``np.matmul`` (2048 x 2048 float32) under the benchmark's thread
limit. Each convolution kernel (forward, weight gradient, input gradient) is timed as
kissgrad calls it, on cnn_large's shapes at batch 128: a kernel's time includes its
im2col / col2im and layout copies, its FLOPs are only the GEMM's ``2 * N * O * C * kh * kw
* OH * OW``, so the figure says how close the whole kernel comes to pure BLAS. Reported:
the minimum and median over interleaved repetitions (the cores are shared: the minimum is
the steadier figure).
"""
import argparse  # noqa: I001  (common must come before NumPy: it sets the thread limits)
import time

from . import common  # noqa: F401  (sets the thread limits before NumPy loads)

import numpy as np  # noqa: E402

# (name, x shape, weight shape): cnn_large's convolutions, batch 128, 'valid', stride 1
CONVS = [("conv1 1->32 k5 on 28x28", (128, 1, 28, 28), (32, 1, 5, 5)),
         ("conv2 32->64 k5 on 12x12", (128, 32, 12, 12), (64, 32, 5, 5))]


def _timed(fns, reps):
    """{name: sorted seconds} for each of ``fns``, called in turn ``reps`` times."""
    times = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: sorted(t) for name, t in times.items()}


def gemm_peak(reps, size=2048):
    """(min, median) GFLOP/s of one ``size x size`` float32 np.matmul."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size)).astype(np.float32) for _ in range(2))
    a @ b  # warm up BLAS's threads
    t = _timed({"peak": lambda: a @ b}, reps)["peak"]
    flops = 2 * size ** 3
    return flops / t[0] / 1e9, flops / t[len(t) // 2] / 1e9


def conv_kernels(x_shape, w_shape):
    """{kernel name: call} for one convolution's forward and both gradients, and its FLOPs."""
    from autograd import kernels as K

    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    b = rng.standard_normal(w_shape[0]).astype(np.float32)
    out, cols = K.conv2d_nchw_forward(x, w, 1, 0, b)
    g = rng.standard_normal(out.shape).astype(np.float32)
    n, o, out_h, out_w = out.shape
    flops = 2 * n * o * int(np.prod(w_shape[1:])) * out_h * out_w
    calls = {"forward (im2col + GEMM)": lambda: K.conv2d_nchw_forward(x, w, 1, 0, b),
             "weight gradient (saved cols)": lambda: K.conv2d_nchw_backward_weight(
                 g, x, w.shape, 1, 0, cols),
             "input gradient (GEMM + col2im)": lambda: K.conv2d_nchw_backward_input(
                 g, w, x.shape, 1, 0)}
    for call in calls.values():
        call()  # compile the kernels, warm the caches
    return calls, flops


def main(argv=None):
    """Print the peak and each convolution kernel's GFLOP/s and share of it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15, help="repetitions (default 15)")
    reps = parser.parse_args(argv).reps
    from autograd.kernels import BACKEND

    peak, peak_median = gemm_peak(reps)
    print(f"float32, {common.thread_count()} threads, kernels: {BACKEND}")
    print(f"GEMM peak (2048^3 np.matmul): {peak:.1f} GFLOP/s (median {peak_median:.1f})")
    for name, x_shape, w_shape in CONVS:
        calls, flops = conv_kernels(x_shape, w_shape)
        print(f"\n{name}: x {x_shape}, w {w_shape}, {flops / 1e6:.0f} MFLOP per GEMM")
        for kernel, t in _timed(calls, reps).items():
            best, median = flops / t[0] / 1e9, flops / t[len(t) // 2] / 1e9
            print(f"  {kernel:32s} {t[0] * 1e3:7.2f} ms  {best:6.1f} GFLOP/s "
                  f"({100 * best / peak:3.0f}% of peak; median {median:.1f})")


if __name__ == "__main__":
    main()
