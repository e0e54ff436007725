"""Shape ops, indexing, ``cat``/``stack`` and item assignment against PyTorch: values and float64
gradients (each case is ``fn(lib, x)`` run in both), plus the documented behaviour without torch."""
import numpy as np
import pytest
from torch_compare import compare, constant, float64

import kissgrad as kg

X = float64(2, 3, 4, seed=5)

SHAPE_OPS = {
    "reshape": lambda lib, x: x.reshape(6, 4), "reshape-tuple-neg": lambda lib, x: x.reshape((4, -1)),
    "view": lambda lib, x: x.view(3, 8), "view-neg": lambda lib, x: x.view(-1),
    "view_as": lambda lib, x: x.view_as(lib.zeros(4, 6)), "flatten": lambda lib, x: x.flatten(),
    "flatten-1": lambda lib, x: x.flatten(1), "flatten-0-1": lambda lib, x: x.flatten(0, 1),
    "flatten-neg": lambda lib, x: x.flatten(-2, -1), "unflatten": lambda lib, x: x.unflatten(2, (2, 2)),
    "unflatten-neg": lambda lib, x: x.unflatten(-1, (2, -1)),
    "squeeze-all": lambda lib, x: x[:1, :, :1].squeeze(),
    "squeeze-dim": lambda lib, x: x[:1].squeeze(0), "squeeze-non1": lambda lib, x: x.squeeze(1),
    "squeeze-neg": lambda lib, x: x[..., :1].squeeze(-1), "unsqueeze": lambda lib, x: x.unsqueeze(1),
    "unsqueeze-neg": lambda lib, x: x.unsqueeze(-1), "unsqueeze-0": lambda lib, x: x.unsqueeze(0),
    "transpose": lambda lib, x: x.transpose(0, 2), "transpose-neg": lambda lib, x: x.transpose(-1, -2),
    "swapaxes": lambda lib, x: x.swapaxes(0, 1), "t": lambda lib, x: x[0].t(),
    "t-1d": lambda lib, x: x[0, 0].t(),
    "T-2d": lambda lib, x: x[0].T, "mT": lambda lib, x: x.mT, "permute": lambda lib, x: x.permute(2, 0, 1),
    "permute-tuple": lambda lib, x: x.permute((1, 2, 0)), "permute-neg": lambda lib, x: x.permute(-1, 0, 1),
    "movedim": lambda lib, x: x.movedim(0, 2), "movedim-neg": lambda lib, x: x.movedim(-1, 0),
    "expand": lambda lib, x: x[:, :1].expand(2, 5, 4),
    "expand-neg": lambda lib, x: x[:1].expand(3, -1, -1, -1),
    "expand_as": lambda lib, x: x[0, :1].expand_as(x[0]), "repeat": lambda lib, x: x.repeat(2, 1, 3),
    "repeat-lead": lambda lib, x: x[0].repeat(2, 2, 1), "chunk": lambda lib, x: x.chunk(2, dim=2),
    "chunk-uneven": lambda lib, x: x.chunk(2, dim=1), "split-int": lambda lib, x: x.split(3, dim=2),
    "split-list": lambda lib, x: x.split([1, 3], dim=-1), "split-default": lambda lib, x: x.split(1),
    "unbind": lambda lib, x: x.unbind(1), "unbind-0": lambda lib, x: x.unbind(),
    "flip": lambda lib, x: x.flip(0),
    "flip-two": lambda lib, x: x.flip(0, -1), "flip-list": lambda lib, x: x.flip([1]),
    "roll": lambda lib, x: x.roll(1, 2), "roll-neg": lambda lib, x: x.roll(-2, -1),
    "roll-flat": lambda lib, x: x.roll(5), "roll-two": lambda lib, x: x.roll((1, 2), (0, 1)),
    "narrow": lambda lib, x: x.narrow(2, 1, 2), "narrow-neg": lambda lib, x: x.narrow(-1, -3, 2),
    "cat": lambda lib, x: lib.cat([x, x * 2], dim=1), "cat-neg": lambda lib, x: lib.cat([x, x[..., :1]], -1),
    "cat-tuple": lambda lib, x: lib.cat((x[0], x[1])), "stack": lambda lib, x: lib.stack([x, x * 3]),
    "stack-dim": lambda lib, x: lib.stack([x[0], x[1]], dim=2),
    "stack-neg": lambda lib, x: lib.stack([x, x], -1),
    "concatenate": lambda lib, x: lib.concatenate([x, x], 1) if lib is kg else lib.cat([x, x], 1),
}


@pytest.mark.parametrize("fn", SHAPE_OPS.values(), ids=SHAPE_OPS.keys())
def test_shape_op_matches_torch(fn):
    compare(fn, X)


def _int(lib, values):
    return constant(lib, np.array(values, dtype=np.int64))


INDEXING = {
    "int": lambda lib, x: x[1], "neg-int": lambda lib, x: x[-1, -2], "slice": lambda lib, x: x[:, 1:],
    "step": lambda lib, x: x[..., ::2], "slice-neg": lambda lib, x: x[:, -2:, 1:3],
    "none": lambda lib, x: x[None],
    "none-mixed": lambda lib, x: x[1, None, ..., -1], "ellipsis": lambda lib, x: x[..., 0],
    "ellipsis-mid": lambda lib, x: x[0, ..., 1:], "int-tensor": lambda lib, x: x[_int(lib, [1, 0])],
    "repeated": lambda lib, x: x[_int(lib, [0, 0, 1, 0])],
    "repeated-inner": lambda lib, x: x[:, _int(lib, [2, 2, 0])],
    "list": lambda lib, x: x[:, [0, 2, 0]], "2d-index": lambda lib, x: x[_int(lib, [[0, 1], [1, 1]])],
    "two-tensors": lambda lib, x: x[_int(lib, [0, 1, 1]), _int(lib, [2, 0, 2])],
    "separated": lambda lib, x: x[_int(lib, [0, 1]), :, _int(lib, [3, 3])],
    "neg-index": lambda lib, x: x[:, _int(lib, [-1, -3])], "mask": lambda lib, x: x[x > 0],
    "mask-rows": lambda lib, x: x[constant(lib, np.array([True, False]))],
    "mask-dim1": lambda lib, x: x[:, constant(lib, np.array([True, False, True]))],
    "mask-empty": lambda lib, x: x[x > 100], "scalar-tensor": lambda lib, x: x[_int(lib, 1)],
}


@pytest.mark.parametrize("fn", INDEXING.values(), ids=INDEXING.keys())
def test_getitem_matches_torch(fn):
    compare(fn, X)


def test_cat_and_stack_of_nothing_raise_value_error():
    for join in (kg.cat, kg.stack):
        with pytest.raises(ValueError, match="empty"):
            join([])


# --- item assignment ------------------------------------------------------------------------

SETITEM = {  # fn(lib, x, v): x a leaf (2, 3, 4), v a leaf (3, 4); both require grad
    "slice": lambda lib, x, v: _assign(x * 1, (0,), v), "row": lambda lib, x, v: _assign(x * 2, (1, 0), v[0]),
    "number": lambda lib, x, v: _assign(x.sin(), (0, 1, 2), 5.0),
    "broadcast": lambda lib, x, v: _assign(x * 1, (slice(None), 1), v[:1]),
    "int-tensor": lambda lib, x, v: _assign(x * 1, (_int(lib, [1, 0]),), v.expand(2, 3, 4)),
    "mask": lambda lib, x, v: _assign(x * 1, (x > 0.5,), 0.0),
    "mask-tensor": lambda lib, x, v: _assign(x * 1, (0, x[0] > 0), v[x[0] > 0] * 10),
    "ellipsis": lambda lib, x, v: _assign(x * 1, (Ellipsis, 0), v[:, 0]),
    "twice": lambda lib, x, v: _assign(_assign(x * 1, (0,), v), (0, 0), v[1] * 2),
    "then-used": lambda lib, x, v: _assign(x * 3, (1,), v).sum(0) * x[0],
}


def _assign(y, index, value):
    y[index] = value
    return y


@pytest.mark.parametrize("fn", SETITEM.values(), ids=SETITEM.keys())
def test_setitem_on_a_graph_tensor_is_recorded_like_torch(fn):
    compare(fn, X, float64(3, 4, seed=6))


def test_setitem_on_an_output_saved_for_backward_gives_the_true_gradient():
    """torch raises here (exp saved its output, which then changed); kissgrad's setitem leaves
    the saved value intact, so its gradient is the true one (a documented difference)."""
    x = constant(kg, X).requires_grad_()
    y = x.exp()
    y[0, 1, 2] = 5.0
    y.sum().backward()
    expected = np.exp(X)
    expected[0, 1, 2] = 0
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_torch_raises_on_that_modified_saved_output():
    torch = pytest.importorskip("torch")
    t = constant(torch, X).requires_grad_()
    u = t.exp()
    u[0, 1, 2] = 5.0
    with pytest.raises(RuntimeError, match="inplace"):
        u.sum().backward()


@pytest.mark.parametrize("index, value", [((0,), 1.0), ((slice(None), 1), [1.0, 2.0, 3.0, 4.0]),
                                          ((Ellipsis, 0), np.zeros((2, 3)))],
                                          ids=["int", "slice", "ellipsis"])
def test_setitem_on_a_plain_tensor_writes_in_place_like_torch(index, value):
    torch = pytest.importorskip("torch")
    ours, theirs = constant(kg, X), constant(torch, X)
    storage = ours.numpy()
    ours[index] = value
    theirs[index] = torch.tensor(value) if isinstance(value, (list, np.ndarray)) else value
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.numpy() is storage and ours.is_leaf


def test_setitem_documented():
    t = kg.zeros(3)
    t[1] = 5.0
    t[kg.tensor([0, 2])] = kg.tensor([1.0, 2.0])
    np.testing.assert_array_equal(t.numpy(), [1, 5, 2])
    x = kg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = kg.tensor(10.0, requires_grad=True)
    y = x * 2
    y[1] = v
    (y * kg.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 0, 6])
    assert v.grad.item() == 2


def test_setitem_on_a_leaf_that_requires_grad_raises():
    x = kg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x[0] = 1.0
    with kg.no_grad():
        x[0] = 1.0
    assert x.numpy()[0] == 1 and x.is_leaf and x.requires_grad


# --- the documented behaviour, without torch ------------------------------------------------

@pytest.mark.parametrize("fn, shape", [
    (lambda x: x.transpose(0, 2), (4, 3, 2)), (lambda x: x.T, (4, 3, 2)), (lambda x: x.mT, (2, 4, 3)),
    (lambda x: x.permute(2, 0, 1), (4, 2, 3)), (lambda x: x.squeeze(1), (2, 3, 4)),
    (lambda x: x[:, :1].squeeze(1), (2, 4)), (lambda x: x.flatten(1), (2, 12)),
    (lambda x: x.flatten(0, 1), (6, 4)),
    (lambda x: x.unflatten(1, (3, 1)), (2, 3, 1, 4)), (lambda x: x.unsqueeze(-1), (2, 3, 4, 1)),
    (lambda x: x.movedim(0, -1), (3, 4, 2)), (lambda x: x.repeat(1, 2, 1), (2, 6, 4)),
    (lambda x: x[:1].expand(5, -1, -1), (5, 3, 4)), (lambda x: x.narrow(1, 1, 2), (2, 2, 4)),
    (lambda x: x[None, ..., 0], (1, 2, 3)), (lambda x: x[x > 0], (int((X > 0).sum()),)),
    (lambda x: kg.stack([x, x], dim=1), (2, 2, 3, 4)), (lambda x: kg.cat([x, x], -1), (2, 3, 8)),
], ids=lambda v: "" if callable(v) else str(v))
def test_shapes_documented(fn, shape):
    assert fn(constant(kg, X)).shape == shape


def test_split_chunk_unbind_documented():
    x = kg.arange(10)
    assert [p.tolist() for p in x.split(4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [len(p) for p in x.split([3, 7])] == [3, 7] and len(x.chunk(3)) == 3
    assert [p.item() for p in x[:3].unbind()] == [0, 1, 2] and x.flip(0)[0].item() == 9
    assert x.roll(1)[0].item() == 9


def test_repeated_indices_accumulate_in_the_gradient():
    x = kg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[kg.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 0, 1])
