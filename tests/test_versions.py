"""Version counters: an in-place change between forward and backward of data a backward rule
reads raises RuntimeError naming the op and the tensor, never a wrong gradient (as PyTorch)."""
import numpy as np
import pytest

import kissgrad as kg
from autograd import Value

MODIFIED = "modified by an inplace operation"


def leaf(values):
    return kg.tensor(values, dtype=kg.float64, requires_grad=True)


def test_a_weight_changed_under_no_grad_before_backward_raises_naming_op_and_tensor():
    w, x = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = (w * x).sum()
    with kg.no_grad():
        w += 100
    with pytest.raises(RuntimeError, match=MODIFIED) as error:
        y.backward()
    assert "'mul'" in str(error.value) and "float64 tensor of shape (2,)" in str(error.value)


def test_an_optimizer_step_between_two_backward_passes_of_one_graph_raises():
    # the GAN pattern: backward(retain_graph=True), opt.step(), backward again
    kg.manual_seed(0)
    layer = kg.nn.Linear(3, 2)
    opt = kg.optim.Adam(layer.parameters(), lr=0.1)
    loss = layer(kg.randn(4, 3)).pow(2).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_an_ordinary_training_loop_never_raises_and_learns():
    kg.manual_seed(0)
    layer = kg.nn.Linear(3, 1)
    opt = kg.optim.SGD(layer.parameters(), lr=0.05)
    x, target = kg.randn(16, 3), kg.zeros(16, 1)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = kg.nn.functional.mse_loss(layer(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 2


@pytest.mark.parametrize("change", [
    lambda w: w.data.add_(1.0),                       # p.data update
    lambda w: w.data.__iadd__(1.0),                   # p.data += 1
    lambda w: w.detach().mul_(2.0),                   # a detached view shares the storage
    lambda w: w.data.copy_(kg.ones(2)),
    lambda w: w.data.zero_(),
    lambda w: w.data.__setitem__(0, 5.0),             # w.data[0] = 5
    lambda w: setattr(w, "data", kg.ones(2, dtype=kg.float64)),
], ids=["data.add_", "data+=", "detach.mul_", "copy_", "zero_", "setitem", "data="])
def test_every_unrecorded_in_place_change_is_caught(change):
    w = leaf([1.0, 2.0])
    y = (w * w).sum()
    change(w)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_loading_a_state_dict_between_forward_and_backward_is_caught():
    layer = kg.nn.Linear(2, 2)
    loss = layer(kg.ones(1, 2)).sum() * layer.weight.sum()
    layer.load_state_dict({k: v * 2 for k, v in layer.state_dict().items()})
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_a_change_to_data_no_rule_reads_is_allowed_as_in_pytorch():
    w = leaf([1.0, 2.0])
    y = (w + 1.0).sum()  # add's rule reads neither input nor output
    with kg.no_grad():
        w += 100
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0])


def test_an_output_changed_in_place_is_caught_where_the_rule_reads_it():
    x = leaf([0.5, 1.0])
    y = x.exp()  # exp's rule reads its output
    with kg.no_grad():
        y.mul_(0.0)
    with pytest.raises(RuntimeError, match="its output"):
        y.sum().backward()


def test_a_value_changed_through_data_between_forward_and_backward_is_caught():
    a = Value(2.0)
    b = a * a
    a.data = 5.0
    with pytest.raises(RuntimeError, match=MODIFIED):
        b.backward()


def test_micrograd_training_loop_still_works():
    a = Value(2.0)
    for _ in range(3):
        loss = a * a
        a.grad = 0.0
        loss.backward()
        a.data -= 0.1 * a.grad
    assert a.data == pytest.approx(2.0 * 0.8 ** 3)


def test_version_counts_in_place_changes_of_the_storage():
    w = kg.zeros(3)
    assert w._version == 0
    w += 1
    w.data.mul_(2)
    w[0] = 7.0
    assert w._version == 3
    assert kg.zeros(3)._version == 0


def test_a_change_after_backward_is_fine_and_a_new_graph_sees_the_new_data():
    w = leaf([1.0, 2.0])
    (w * w).sum().backward()
    with kg.no_grad():
        w -= 0.5 * w.grad
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [0.0, 0.0])


def test_pytorch_raises_where_kissgrad_does():
    torch = pytest.importorskip("torch")
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = (tw * tw).sum()
    with torch.no_grad():
        tw += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()


# --- hooks check what they give back (test_versions: the other guard on backward's inputs) ---

def test_a_hook_returning_a_wrong_shape_raises_naming_it():
    def bad_hook(grad):
        return grad.sum()

    w = leaf([1.0, 2.0])
    w.register_hook(bad_hook)
    with pytest.raises(RuntimeError, match=r"bad_hook returned a gradient of shape \(\), .* shape \(2,\)"):
        (w * w).sum().backward()
    assert w.grad is None


def test_a_hook_returning_a_non_tensor_or_another_dtype_raises():
    w = leaf([1.0, 2.0])
    handle = w.register_hook(lambda grad: "oops")
    with pytest.raises(TypeError, match="must return a Tensor of shape"):
        (w * w).sum().backward()
    handle.remove()
    w.register_hook(lambda grad: grad.long())
    with pytest.raises(TypeError, match="dtype int64"):
        (w * w).sum().backward()


def test_a_hook_returning_the_right_shape_replaces_the_gradient():
    w = leaf([1.0, 2.0])
    w.register_hook(lambda grad: grad * 10)
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [20.0, 40.0])
