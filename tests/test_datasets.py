"""nn.datasets: the bundled MNIST sample and the IDX loader (never touches the network)."""
import gzip
import hashlib
import os
import stat
import struct

import numpy as np
import pytest

import nn.datasets
from nn.datasets import load_mnist, mnist, mnist_sample


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any test reaching the real fetch fails instead of downloading."""
    def refuse(url):
        raise AssertionError(f"test tried to download {url}")
    monkeypatch.setattr(mnist, "_fetch", refuse)


# --- mnist_sample --------------------------------------------------------------------

def test_mnist_sample_shapes_dtypes_and_range():
    X, y = mnist_sample()
    assert X.shape == (5000, 28, 28) and X.dtype == np.uint8
    assert y.shape == (5000,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 255
    assert 0.05 < (X > 0).mean() < 0.5                     # digits, not noise or blanks


def test_mnist_sample_labels_balanced_all_classes():
    _, y = mnist_sample()
    assert set(np.unique(y).tolist()) == set(range(10))
    assert np.bincount(y, minlength=10).tolist() == [500] * 10


def test_mnist_sample_content_fingerprint():
    # sha256 of the arrays as converted from mnist_5k.csv.gz by scripts/make_mnist_sample.py
    X, y = mnist_sample()
    assert hashlib.sha256(X.tobytes()).hexdigest() == (
        "2913c6b6527114b7307e1086335a7665e3f94c74aba3d67525e6f116bf5ae20f")
    assert hashlib.sha256(y.astype(np.uint8).tobytes()).hexdigest() == (
        "41b7b0a9d94690a3a2f54a1d01a9f1cc1b9512e3954fb737ad5ed9f66972403d")


def test_mnist_sample_returns_fresh_copies():
    X, y = mnist_sample()
    X[:] = 0
    y[:] = 0
    X2, y2 = mnist_sample()
    assert X2.max() == 255 and y2.max() == 9


def test_datasets_package_reexports():
    assert nn.datasets.mnist_sample is mnist_sample and nn.datasets.load_mnist is load_mnist


# --- IDX files written by the tests ---------------------------------------------------

def idx_bytes(array, magic):
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write(path, data, gz):
    if gz:
        path = str(path) + ".gz"
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        with open(path, "wb") as fh:
            fh.write(data)
    return path


def fake_mnist(n_train=6, n_test=4, seed=0):
    """Small MNIST-shaped data as {file name: IDX bytes}, plus the arrays."""
    rng = np.random.default_rng(seed)
    arrays = (rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              rng.integers(0, 10, n_train).astype(np.uint8),
              rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              rng.integers(0, 10, n_test).astype(np.uint8))
    magics = (2051, 2049, 2051, 2049)
    files = {name: idx_bytes(a, m) for name, a, m in zip(mnist.FILES, arrays, magics)}
    return files, arrays


def write_fake_mnist(root, gz, **kw):
    files, arrays = fake_mnist(**kw)
    for name, data in files.items():
        write(os.path.join(root, name), data, gz)
    return arrays


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_load_mnist_reads_idx_files(tmp_path, gz):
    expected = write_fake_mnist(tmp_path, gz)
    out = load_mnist(tmp_path)
    assert len(out) == 4
    for got, want in zip(out, expected):
        np.testing.assert_array_equal(got, want)
    X_train, y_train, X_test, y_test = out
    assert X_train.dtype == np.uint8 and X_train.shape == (6, 28, 28)
    assert y_train.dtype == np.int64 and y_test.shape == (4,)
    assert X_train.flags.writeable


def test_load_mnist_mixed_plain_and_gz(tmp_path):
    files, arrays = fake_mnist()
    for i, (name, data) in enumerate(files.items()):
        write(tmp_path / name, data, gz=i % 2 == 0)
    np.testing.assert_array_equal(load_mnist(str(tmp_path))[1], arrays[1])


def test_load_mnist_missing_files_say_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True") as err:
        load_mnist(tmp_path)
    assert "train-images-idx3-ubyte" in str(err.value)


def test_load_mnist_bad_magic_names_file(tmp_path):
    write_fake_mnist(tmp_path, gz=False)
    path = tmp_path / mnist.TRAIN_LABELS
    data = bytearray(path.read_bytes())
    data[:4] = struct.pack(">I", 2051)                     # an images magic on a labels file
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte.*magic number 2051"):
        load_mnist(tmp_path)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_load_mnist_truncated_file_names_file(tmp_path, gz):
    files, _ = fake_mnist()
    for name, data in files.items():
        if name == mnist.TEST_IMAGES:
            data = data[:-100]
        write(tmp_path / name, data, gz)
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.*truncated"):
        load_mnist(tmp_path)


def test_load_mnist_trailing_bytes_and_short_header(tmp_path):
    path = write(tmp_path / "x", idx_bytes(np.zeros(3, np.uint8), 2049) + b"\0", gz=False)
    with pytest.raises(ValueError, match="trailing bytes"):
        mnist.read_idx_labels(path)
    path = write(tmp_path / "y", b"\0\0\x08", gz=False)
    with pytest.raises(ValueError, match="header"):
        mnist.read_idx_images(path)


def test_load_mnist_truncated_gzip_stream(tmp_path):
    write_fake_mnist(tmp_path, gz=True)
    path = tmp_path / (mnist.TRAIN_IMAGES + ".gz")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz.*gzip"):
        load_mnist(tmp_path)


def test_load_mnist_wrong_image_size_and_count_mismatch(tmp_path):
    files, _ = fake_mnist()
    files[mnist.TRAIN_IMAGES] = idx_bytes(np.zeros((6, 14, 14), np.uint8), 2051)
    for name, data in files.items():
        write(tmp_path / name, data, gz=False)
    with pytest.raises(ValueError, match=r"train-images.*\(28, 28\)"):
        load_mnist(tmp_path)
    files[mnist.TRAIN_IMAGES] = idx_bytes(np.zeros((5, 28, 28), np.uint8), 2051)
    write(tmp_path / mnist.TRAIN_IMAGES, files[mnist.TRAIN_IMAGES], gz=False)
    with pytest.raises(ValueError, match="5 images but .* 6 labels"):
        load_mnist(tmp_path)


def test_load_mnist_rejects_labels_above_nine(tmp_path):
    files, _ = fake_mnist()
    files[mnist.TEST_LABELS] = idx_bytes(np.array([0, 1, 2, 10], np.uint8), 2049)
    for name, data in files.items():
        write(tmp_path / name, data, gz=False)
    with pytest.raises(ValueError, match="t10k-labels.*label 10"):
        load_mnist(tmp_path)


# --- download path (fetch monkeypatched) -----------------------------------------------

@pytest.fixture
def fake_server(monkeypatch):
    """Serve fake gzipped MNIST files, with SHA256 patched to match; logs each URL."""
    files, arrays = fake_mnist(seed=3)
    served = {name + ".gz": gzip.compress(data, mtime=0) for name, data in files.items()}
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in served.items()}
    monkeypatch.setattr(mnist, "SHA256", digests)
    log = []

    def fetch(url):
        log.append(url)
        return served[url.rsplit("/", 1)[1]]
    monkeypatch.setattr(mnist, "_fetch", fetch)
    return served, arrays, log


def test_download_fetches_verifies_and_loads(tmp_path, fake_server):
    served, arrays, log = fake_server
    root = tmp_path / "new" / "dir"
    out = load_mnist(root, download=True)
    for got, want in zip(out, arrays):
        np.testing.assert_array_equal(got, want)
    assert sorted(os.listdir(root)) == sorted(served)       # the .gz files, no temp files
    assert all(url.startswith(mnist.MIRRORS[0]) for url in log) and len(log) == 4
    for name, data in served.items():
        assert (root / name).read_bytes() == data


def test_download_writes_atomically(tmp_path, fake_server, monkeypatch):
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        assert os.path.dirname(src) == os.path.dirname(dst) == str(tmp_path)
        assert not os.path.exists(dst)                       # final name appears only now
        assert os.path.getsize(src) == len(fake_server[0][os.path.basename(dst)])
        replaced.append(os.path.basename(dst))
        real_replace(src, dst)
    monkeypatch.setattr(mnist.os, "replace", spy)
    load_mnist(tmp_path, download=True)
    assert sorted(replaced) == sorted(fake_server[0])


def test_download_only_fetches_missing_files(tmp_path, fake_server):
    served, _, log = fake_server
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(served["train-images-idx3-ubyte.gz"])
    load_mnist(tmp_path, download=True)
    assert len(log) == 3 and not any("train-images" in url for url in log)


def test_download_checksum_mismatch_rejected_nothing_left(tmp_path, fake_server, monkeypatch):
    monkeypatch.setattr(mnist, "_fetch", lambda url: b"not the file you want")
    with pytest.raises(RuntimeError, match="sha256") as err:
        load_mnist(tmp_path, download=True)
    assert all(m in str(err.value) for m in mnist.MIRRORS)   # every mirror was tried
    assert os.listdir(tmp_path) == []


def test_download_falls_back_to_next_mirror(tmp_path, fake_server, monkeypatch):
    served, arrays, _ = fake_server
    tried = []

    def flaky(url):
        tried.append(url)
        if url.startswith(mnist.MIRRORS[0]):
            raise OSError("connection refused")
        return served[url.rsplit("/", 1)[1]]
    monkeypatch.setattr(mnist, "_fetch", flaky)
    out = load_mnist(tmp_path, download=True)
    np.testing.assert_array_equal(out[0], arrays[0])
    assert len(tried) == 8


def test_download_failure_midway_leaves_only_complete_files(tmp_path, fake_server, monkeypatch):
    served = fake_server[0]
    real_fsync, calls = os.fsync, []

    def fsync_fails_on_third_file(fd):
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # the folder's own fsync after a rename
            return real_fsync(fd)
        calls.append(fd)
        if len(calls) == 3:
            raise OSError("disk full")
        real_fsync(fd)
    monkeypatch.setattr(mnist.os, "fsync", fsync_fails_on_third_file)
    with pytest.raises(OSError, match="disk full"):
        load_mnist(tmp_path, download=True)
    left = sorted(os.listdir(tmp_path))                 # no temp file, no partial third file
    assert left == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    for name in left:
        assert (tmp_path / name).read_bytes() == served[name]


def test_real_checksums_are_the_published_ones():
    # the four well-known values (torchvision, TensorFlow Datasets and others pin them)
    assert mnist.SHA256["train-images-idx3-ubyte.gz"].startswith("440fcabf73cc546f")
    assert mnist.SHA256["t10k-labels-idx1-ubyte.gz"].endswith("4204aec6")
    assert all(len(v) == 64 for v in mnist.SHA256.values())
