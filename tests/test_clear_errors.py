"""Cases a careful user tried beyond the issue's list: each gives PyTorch's answer or a clear
error naming the argument and the value, never a raw NumPy traceback."""
import math

import kissgrad.nn.functional as F
import numpy as np
import pytest

import kissgrad as kg


def test_tensor_softmax_and_log_softmax_methods_match_the_functions():
    x = kg.tensor([[1.0, 2.0, 3.0], [-math.inf, 0.0, 1.0]])
    np.testing.assert_allclose(x.softmax(-1).numpy(), F.softmax(x, dim=-1).numpy())
    np.testing.assert_allclose(x.log_softmax(1).numpy(), F.log_softmax(x, dim=1).numpy())
    with pytest.raises(IndexError, match="dim 2"):
        x.softmax(2)


def test_tensor_softmax_matches_torch():
    torch = pytest.importorskip("torch")
    values = [[1.0, 2.0, 3.0], [-math.inf, 0.0, 1.0]]
    for dim in (0, 1, -1):
        np.testing.assert_allclose(kg.tensor(values).softmax(dim).numpy(),
                                   torch.tensor(values).softmax(dim).numpy(), rtol=1e-6)


def test_functional_one_hot_is_int64_as_pytorch_and_names_a_bad_label():
    out = F.one_hot(kg.tensor([0, 2]), 3)
    assert out.dtype == kg.int64 and out.tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.one_hot(kg.tensor([1, 3])).shape == (2, 4)
    with pytest.raises(ValueError, match="label -1"):
        F.one_hot(kg.tensor([-1]), 3)


def test_ragged_data_says_it_is_ragged():
    with pytest.raises(ValueError, match=r"ragged.*\[\[1, 2\], \[3\]\]"):
        kg.tensor([[1, 2], [3]])
    with pytest.raises(ValueError, match="ragged"):
        kg.Tensor([[1.0], [2.0, 3.0]])


def test_saving_into_a_missing_folder_names_the_folder(tmp_path):
    target = tmp_path / "no" / "such" / "model.npz"
    with pytest.raises(FileNotFoundError, match=f"the folder '{target.parent}' does not exist"):
        kg.save({"w": kg.ones(2)}, target)
    assert not target.parent.exists()
