"""Checkpoints: nn.serialization.save/load (kissgrad.save/load) and Module.save/load.

Safe (a .npz with a JSON manifest, never pickle), atomic (no half-written or temporary
file left behind), and strict when reading (corrupt files are a ValueError naming them).
"""
import io
import json
import math
import os
import stat
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from nn.serialization import MANIFEST, load, save


def mlp():
    return nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))


def checkpoint():
    autograd.manual_seed(0)
    model = mlp()
    shared = Tensor(np.arange(3.0))
    optimizer = {"state": {0: {"step": Tensor(np.array(3.0)), "exp_avg": np.ones((4, 2))}},
                 "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1, 2, 3],
                                   "nesterov": False, "weight_decay": 0, "foreach": None}]}
    return model, {"model": model.state_dict(), "optimizer": optimizer, "epoch": 3,
                   "loss": float("nan"), "best": -math.inf, "name": "run-1",
                   "scalar": np.float32(1.5), "pair": [shared, shared],
                   "grid": {(0, 1): "cell"}, "weights": nn.Parameter([1.0, 2.0])}


# --- save / load ----------------------------------------------------------------------

def test_round_trip_keeps_structure_types_and_values(tmp_path):
    model, obj = checkpoint()
    path = tmp_path / "checkpoint.pt"  # any extension, as torch.save
    assert save(obj, path) is None
    back = load(path)
    assert list(back) == list(obj) and type(back["model"]) is OrderedDict
    assert list(back["model"]) == list(model.state_dict())
    for name, value in model.state_dict().items():
        assert isinstance(back["model"][name], Tensor)
        np.testing.assert_array_equal(back["model"][name].numpy(), value.numpy())
        assert back["model"][name].dtype == value.dtype
    state = back["optimizer"]["state"]
    assert list(state) == [0] and isinstance(state[0]["exp_avg"], np.ndarray)
    assert state[0]["step"].item() == 3.0
    group = back["optimizer"]["param_groups"][0]
    assert group["betas"] == (0.9, 0.999) and group["params"] == [0, 1, 2, 3]
    assert group["nesterov"] is False and group["foreach"] is None
    assert type(group["weight_decay"]) is int and type(group["lr"]) is float
    assert back["epoch"] == 3 and math.isnan(back["loss"]) and back["best"] == -math.inf
    assert back["name"] == "run-1" and back["grid"] == {(0, 1): "cell"}
    assert back["scalar"] == np.float32(1.5) and back["scalar"].dtype == np.float32
    assert back["pair"][0] is back["pair"][1]  # a tensor saved twice is stored once
    assert back["weights"].requires_grad and back["weights"].tolist() == [1.0, 2.0]
    fresh = mlp()
    fresh.load_state_dict(back["model"])  # strict
    x = Tensor(np.ones((3, 2), dtype=np.float32))
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())
    assert os.listdir(tmp_path) == ["checkpoint.pt"]  # no temporary file left behind


def test_the_file_is_a_plain_npz_that_numpy_reads_without_pickle(tmp_path):
    _, obj = checkpoint()
    save(obj, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    assert all(not a.dtype.hasobject for a in arrays.values())
    manifest = json.loads(arrays[MANIFEST].tobytes().decode("utf-8"))
    assert manifest["format"] == "kissgrad" and manifest["version"] == 1


def test_file_objects_work_as_in_torch():
    _, obj = checkpoint()
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    assert load(buffer)["epoch"] == 3


def test_unsupported_values_raise_before_anything_is_written(tmp_path):
    path = tmp_path / "bad.npz"
    with pytest.raises(TypeError, match=r"obj\['hook'\].*function"):
        save({"epoch": 1, "hook": print}, path)
    with pytest.raises(TypeError, match="Python objects"):
        save({"x": np.array([{}], dtype=object)}, path)
    with pytest.raises(TypeError, match="key of type"):
        save({frozenset(): 1}, path)
    loop = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="circular"):
        save(loop, path)
    assert os.listdir(tmp_path) == []


def test_a_failing_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    save({"epoch": 1}, path)
    before = path.read_bytes()

    def crash(file, **arrays):
        file.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"epoch": 2}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["c.npz"]
    with pytest.raises(FileNotFoundError):
        save({"epoch": 2}, tmp_path / "no" / "such" / "folder.npz")


def test_plain_npz_loads_as_a_dict_of_tensors(tmp_path):
    np.savez(tmp_path / "plain.npz", w=np.ones((2, 2)), b=np.zeros(2))
    back = load(tmp_path / "plain.npz")
    assert list(back) == ["w", "b"] and all(isinstance(v, Tensor) for v in back.values())


def test_map_location_only_names_the_cpu(tmp_path):
    save({"epoch": 1}, tmp_path / "c.npz")
    assert load(tmp_path / "c.npz", map_location="cpu")["epoch"] == 1
    with pytest.raises(RuntimeError, match="CPU"):
        load(tmp_path / "c.npz", map_location="cuda:0")


# --- reading bad files ------------------------------------------------------------------

def npy_bytes(shape, data=b"", descr="<f8"):
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": descr, "fortran_order": False,
                                                  "shape": shape})
    return stream.getvalue() + data


def zip_file(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_missing_unreadable_and_foreign_files(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip file")
    with pytest.raises(ValueError, match="garbage.npz"):
        load(garbage)
    single = tmp_path / "single.npz"
    with open(single, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(ValueError, match="single.npz.*single array"):
        load(single)
    path = tmp_path / "good.npz"
    save({"epoch": 1}, path)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError, match="truncated.npz"):
        load(truncated)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(PermissionError):
        load(path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads anything")
def test_a_file_without_read_permission(tmp_path):
    path = tmp_path / "locked.npz"
    save({"epoch": 1}, path)
    path.chmod(0)
    with pytest.raises(PermissionError):
        load(path)


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_header_claiming_a_huge_array_is_a_value_error(tmp_path, compression):
    path = zip_file(tmp_path / "huge.npz", {"w.npy": npy_bytes((10 ** 12,), b"\0" * 16)},
                    compression)
    with pytest.raises(ValueError, match=r"huge.npz.*\(1000000000000,\)"):
        load(path)


def test_pickled_members_and_bad_manifests_are_refused(tmp_path):
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, w=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickled.npz.*objects"):
        load(pickled)
    cases = {"not json": b"{", "foreign": b'{"format": "other"}',
             "future": b'{"format": "kissgrad", "version": 99, "object": 1}',
             "missing array": b'{"format": "kissgrad", "version": 1, "object": {"tensor": "t7"}}',
             "unknown tag": b'{"format": "kissgrad", "version": 1, "object": {"code": "rm"}}'}
    for name, text in cases.items():
        path = tmp_path / f"{name}.npz"
        np.savez(path, **{MANIFEST: np.frombuffer(text, dtype=np.uint8)})
        with pytest.raises(ValueError, match=name):
            load(path)


# --- Module.save / Module.load ----------------------------------------------------------

def test_module_save_load_round_trip(tmp_path):
    autograd.manual_seed(1)
    model, other = mlp(), mlp()
    path = tmp_path / "model.npz"
    assert model.save(path) == str(path)
    assert other.load(path) is other
    for (name, x), (_, y) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=name)
    with np.load(path, allow_pickle=False) as archive:
        assert set(archive.files) == set(model.state_dict())
    assert os.listdir(tmp_path) == ["model.npz"]
    with pytest.raises(ValueError, match=".npz"):
        model.save(tmp_path / "model.pt")
    save(model.state_dict(), tmp_path / "state.npz")  # kissgrad.save's format loads too
    assert mlp().load(tmp_path / "state.npz") is not None


def test_module_save_failure_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    mlp().save(path)
    before = path.read_bytes()

    def crash(file, **arrays):
        file.write(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        mlp().save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.npz"]


def test_module_load_rejects_bad_and_mismatched_files(tmp_path):
    model = mlp()
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip file")
    with pytest.raises(ValueError, match="garbage.npz"):
        model.load(garbage)
    with pytest.raises(FileNotFoundError):
        model.load(tmp_path / "missing.npz")
    other = tmp_path / "other.npz"
    nn.Linear(3, 3).save(other)
    with pytest.raises(RuntimeError, match="Missing key"):
        model.load(other)


def test_saved_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    for path in (nn.Linear(2, 2).save(tmp_path / "model.npz"), tmp_path / "c.npz"):
        save({"epoch": 1}, tmp_path / "c.npz")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask
