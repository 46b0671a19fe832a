"""pybackprop.nn against torch.nn: every module's forward and backward, Module mechanics, errors."""

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    F32_ATOL,
    F32_RTOL,
    F64_ATOL,
    F64_RTOL,
    arrays,
    batch_sizes,
    float_dtypes,
    seeds,
    widths,
)

from pybackprop import nn
from pybackprop.optim import SGD
from tests.refusals import assert_refused_alone


def assert_close(actual, expected, dtype, scale: float | None = None) -> None:
    """Equal to torch's result within `dtype`'s tolerance, relative to the array's scale.

    Matmuls sum many products, so an entry that cancels to near zero carries an absolute
    error of the size of its terms: the absolute tolerance grows with the largest entry, or
    with `scale`, the largest term, where every entry may cancel.
    """
    rtol, atol = (F32_RTOL, F32_ATOL) if dtype == np.float32 else (F64_RTOL, F64_ATOL)
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    assert np.asarray(actual).dtype == dtype
    if scale is None:
        scale = np.max(np.abs(expected), initial=0.0)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol + rtol * scale)


def to_torch(module: nn.Module, dtype) -> torch.nn.Module:
    """The torch module computing the same function with the same parameter values."""
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    if isinstance(module, nn.Sequential):
        return torch.nn.Sequential(*(to_torch(m, dtype) for m in module))
    if isinstance(module, nn.ReLU):
        return torch.nn.ReLU()
    t = torch.nn.Linear(module.n_in, module.n_out, bias=module.bias is not None, dtype=tdtype)
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(module.weight.data.T))  # torch stores (n_out, n_in)
        if module.bias is not None:
            t.bias.copy_(torch.from_numpy(module.bias.data))
    return t


def check_against_torch(module: nn.Module, x: np.ndarray, seed: int) -> None:
    """Output, input gradient and every parameter gradient equal torch's for a random grad_out."""
    dtype = x.dtype
    tmodule = to_torch(module, dtype)
    xt = torch.from_numpy(x.copy()).requires_grad_()
    out, out_t = module(x), tmodule(xt)
    grad_out = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    grad_x = module.backward(grad_out)
    out_t.backward(torch.from_numpy(grad_out))
    assert_close(out, out_t, dtype)
    assert_close(grad_x, xt.grad, dtype)
    tparams = list(tmodule.parameters())
    assert len(tparams) == len(module.parameters())
    for p, tp in zip(module.parameters(), tparams, strict=True):
        assert_close(p.grad, tp.grad.numpy().T, dtype)  # .T: torch's weight is (n_out, n_in)


@st.composite
def batches(draw, n_in=None):
    """(x (batch, n_in), dtype) with batch in 1..64 and n_in in 1..100."""
    dtype = draw(float_dtypes)
    n_in = draw(widths) if n_in is None else n_in
    return draw(arrays((draw(batch_sizes), n_in), dtype)), dtype


@settings(max_examples=60)
@given(data=batches(), n_out=widths, bias=st.booleans(), seed=seeds())
def test_linear_forward_backward_match_torch(data, n_out, bias, seed):
    x, dtype = data
    layer = nn.Linear(x.shape[1], n_out, bias=bias, rng=seed, dtype=dtype)
    check_against_torch(layer, x, seed)


@given(data=batches(), n_out=widths, seed=seeds())
def test_linear_weight_grad_is_the_einsum_over_the_batch(data, n_out, seed):
    x, dtype = data
    layer = nn.Linear(x.shape[1], n_out, rng=seed, dtype=dtype)
    grad_out = np.random.default_rng(seed).standard_normal((len(x), n_out)).astype(dtype)
    layer(x)
    layer.backward(grad_out)
    # Each entry sums the batch's products, which may all but cancel (rows of x alike):
    # its rounding error is of the size of the sum of their magnitudes.
    terms = np.einsum("bi,bj->ij", np.abs(x), np.abs(grad_out))
    expected = np.einsum("bi,bj->ij", x, grad_out)
    assert_close(layer.weight.grad, expected, dtype, scale=terms.max(initial=0.0))


@given(data=batches(), seed=seeds())
def test_relu_forward_backward_match_torch(data, seed):
    x, _ = data
    check_against_torch(nn.ReLU(), x, seed)


@settings(max_examples=40)
@given(data=batches(), hidden=st.lists(widths, min_size=1, max_size=3), seed=seeds())
def test_sequential_mlp_forward_backward_match_torch(data, hidden, seed):
    x, dtype = data
    sizes = [x.shape[1], *hidden]
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(n_in, n_out, rng=seed + n_in, dtype=dtype), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    check_against_torch(model, x, seed)


@given(data=batches(), seed=seeds())
def test_mse_loss_forward_backward_match_torch(data, seed):
    pred, dtype = data
    target = np.random.default_rng(seed).standard_normal(pred.shape).astype(dtype)
    pred_t = torch.from_numpy(pred.copy()).requires_grad_()
    loss_t = torch.nn.MSELoss()(pred_t, torch.from_numpy(target))
    loss_t.backward()
    loss_fn = nn.MSELoss()
    assert_close(loss_fn(pred, target), loss_t, dtype)
    assert_close(loss_fn.backward(), pred_t.grad, dtype)


def check_cross_entropy(logits: np.ndarray, target: np.ndarray) -> None:
    dtype = logits.dtype
    logits_t = torch.from_numpy(logits.copy()).requires_grad_()
    loss_t = torch.nn.CrossEntropyLoss()(logits_t, torch.from_numpy(target))
    loss_t.backward()
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(logits, target)
    grad = loss_fn.backward()
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert_close(loss, loss_t, dtype)
    assert_close(grad, logits_t.grad, dtype)


@given(data=batches(), seed=seeds())
def test_cross_entropy_loss_forward_backward_match_torch(data, seed):
    logits, _ = data
    target = np.random.default_rng(seed).integers(0, logits.shape[1], len(logits))
    check_cross_entropy(logits, target)


@settings(max_examples=30)
@given(data=batches(), seed=seeds())
def test_cross_entropy_loss_finite_and_matches_torch_for_huge_logits(data, seed):
    x, dtype = data
    rng = np.random.default_rng(seed)
    huge = 1e4 if dtype == np.float32 else 1e300
    logits = (rng.uniform(-1, 1, x.shape) * huge).astype(dtype)
    check_cross_entropy(logits, rng.integers(0, x.shape[1], len(x)))


@given(seed=seeds(), grad_scale=st.floats(0.5, 2.0))
def test_loss_backward_scales_with_grad_out(seed, grad_scale):
    rng = np.random.default_rng(seed)
    logits, target = rng.standard_normal((8, 5)), rng.integers(0, 5, 8)
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(logits, target)
    unit = loss_fn.backward()
    loss_fn(logits, target)
    np.testing.assert_allclose(loss_fn.backward(grad_scale), grad_scale * unit, rtol=F64_RTOL)


def model_and_torch(seed, dtype=np.float64):
    model = nn.Sequential(
        nn.Linear(6, 4, rng=seed, dtype=dtype),
        nn.ReLU(),
        nn.Linear(4, 3, rng=seed + 1, dtype=dtype),
    )
    return model, torch.nn.Sequential(*(to_torch(m, dtype) for m in model))


def backward_both(model, tmodel, rng, dtype=np.float64):
    """One forward and backward pass of the same random batch and grad_out through both."""
    x, g = rng.standard_normal((5, 6)).astype(dtype), rng.standard_normal((5, 3)).astype(dtype)
    model(x)
    model.backward(g)
    tmodel(torch.from_numpy(x)).backward(torch.from_numpy(g))


def assert_grads_like_torch(model, tmodel, dtype=np.float64):
    for p, tp in zip(model.parameters(), tmodel.parameters(), strict=True):
        if tp.grad is None:
            assert p.grad is None
        else:
            assert_close(p.grad, tp.grad.T if tp.ndim == 2 else tp.grad, dtype)


@given(seed=seeds(), passes=st.integers(1, 4), dtype=float_dtypes)
def test_gradients_accumulate_over_backward_passes_like_torch(seed, passes, dtype):
    model, tmodel = model_and_torch(seed, dtype)
    assert all(p.grad is None for p in model.parameters())  # as torch: no backward yet
    rng = np.random.default_rng(seed)
    for _ in range(passes):
        backward_both(model, tmodel, rng, dtype)
    assert_grads_like_torch(model, tmodel, dtype)
    assert all(p.grad.dtype == dtype for p in model.parameters())


@given(seed=seeds(), passes=st.integers(1, 3))
def test_zero_grad_sets_grads_to_none_and_the_next_backward_assigns_like_torch(seed, passes):
    model, tmodel = model_and_torch(seed)
    rng = np.random.default_rng(seed)
    for _ in range(passes):
        backward_both(model, tmodel, rng)
    model.zero_grad()
    tmodel.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert_grads_like_torch(model, tmodel)
    backward_both(model, tmodel, rng)
    assert_grads_like_torch(model, tmodel)


@given(seed=seeds(), passes=st.integers(1, 3))
def test_zero_grad_set_to_none_false_fills_zeros_in_place_like_torch(seed, passes):
    model, tmodel = model_and_torch(seed)
    model.zero_grad(set_to_none=False)  # no gradient yet: nothing to fill, as torch
    tmodel.zero_grad(set_to_none=False)
    assert_grads_like_torch(model, tmodel)
    rng = np.random.default_rng(seed)
    backward_both(model, tmodel, rng)
    grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    tmodel.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(model.parameters(), grads, strict=True))
    assert_grads_like_torch(model, tmodel)
    for _ in range(passes):
        backward_both(model, tmodel, rng)
    assert all(p.grad is g for p, g in zip(model.parameters(), grads, strict=True))
    assert_grads_like_torch(model, tmodel)


def test_parameter_grad_is_none_until_a_backward_pass_and_can_be_assigned_none():
    p = nn.Parameter(np.ones((3, 2), dtype=np.float32))
    assert p.grad is None
    p.accumulate_grad(np.ones((3, 2)))  # float64: kept in the parameter's dtype
    assert p.grad.dtype == np.float32 and np.all(p.grad == 1)
    p.accumulate_grad(np.full((3, 2), 2, dtype=np.float32))
    assert np.all(p.grad == 3)
    p.zero_grad(set_to_none=False)
    assert p.grad is not None and not p.grad.any()
    p.grad = None
    p.zero_grad(set_to_none=False)
    assert p.grad is None
    p.accumulate_grad(np.ones((3, 2), dtype=np.float32))
    p.zero_grad()
    assert p.grad is None


def test_a_gradient_of_the_wrong_shape_is_refused():
    p = nn.Parameter(np.ones((3, 2)))
    for _ in range(2):  # the first gradient (assigned) and a later one (added)
        with pytest.raises(ValueError, match=r"shape \(1, 2\) for a parameter of shape \(3, 2\)"):
            p.accumulate_grad(np.ones((1, 2)))
        p.accumulate_grad(np.ones((3, 2)))


@given(data=batches(), seed=seeds())
def test_input_grad_false_gives_the_same_parameter_gradients(data, seed):
    x, dtype = data
    model = nn.Sequential(
        nn.Linear(x.shape[1], 7, rng=seed, dtype=dtype),
        nn.ReLU(),
        nn.Linear(7, 3, rng=seed + 1, dtype=dtype),
    )
    g = np.random.default_rng(seed).standard_normal((len(x), 3)).astype(dtype)
    model(x)
    model.backward(g)
    full = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    model(x)
    assert model.backward(g, input_grad=False) is None
    for p, expected in zip(model.parameters(), full, strict=True):
        np.testing.assert_array_equal(p.grad, expected)


@pytest.mark.parametrize("module", [nn.Linear(3, 2), nn.ReLU(), nn.Sequential(nn.Linear(3, 2))])
def test_backward_before_forward_raises(module):
    with pytest.raises(RuntimeError, match="without a forward pass"):
        module.backward(np.ones((1, 2), dtype=np.float32))


@pytest.mark.parametrize("module", [nn.Linear(3, 2), nn.Sequential(nn.Linear(3, 2), nn.ReLU())])
def test_second_backward_after_one_forward_raises(module):
    module(np.ones((4, 3), dtype=np.float32))
    module.backward(np.ones((4, 2), dtype=np.float32))
    with pytest.raises(RuntimeError, match="without a forward pass"):
        module.backward(np.ones((4, 2), dtype=np.float32))


@pytest.mark.parametrize("loss_fn", [nn.MSELoss(), nn.CrossEntropyLoss()])
def test_loss_backward_before_forward_raises(loss_fn):
    with pytest.raises(RuntimeError, match="without a forward pass"):
        loss_fn.backward()


def test_a_copy_holds_the_parameters_not_the_batch_kept_for_backward():
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.ReLU())
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(np.ones((4, 3), dtype=np.float32)), np.array([0, 1, 1, 0]))
    model_copy, loss_copy = copy.deepcopy((model, loss_fn))
    np.testing.assert_array_equal(model_copy[0].weight.data, model[0].weight.data)
    assert model_copy[0].weight is not model[0].weight
    for module in (loss_copy, model_copy, model_copy[0]):
        assert not [k for k in vars(module) if k.startswith("_saved")]  # no batch, no softmax
    for module in (loss_copy, model_copy, model_copy[0]):
        with pytest.raises(RuntimeError, match="without a forward pass"):
            module.backward(np.ones((4, 2), dtype=np.float32))
    model.backward(loss_fn.backward())  # the originals still go back through their batch


class TwoLosses(nn.Module):
    """One loss module called twice in a forward pass: the sum of its two losses."""

    def __init__(self, loss_fn: nn.Loss) -> None:
        self.loss_fn = loss_fn

    def forward(self, a, b, target_a, target_b):
        return self.loss_fn(a, target_a) + self.loss_fn(b, target_b)


@settings(max_examples=30)
@given(n_a=batch_sizes, n_b=batch_sizes, classes=st.integers(1, 6), seed=seeds())
def test_a_loss_called_twice_in_a_pass_gives_each_call_its_own_gradient(n_a, n_b, classes, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((n_a, classes)), rng.standard_normal((n_b, classes))
    target_a, target_b = rng.integers(0, classes, n_a), rng.integers(0, classes, n_b)
    two = TwoLosses(nn.CrossEntropyLoss())
    two(a, b, target_a, target_b)
    grad_b = two.loss_fn.backward()  # the last call goes back first, as in torch's graph
    grad_a = two.loss_fn.backward()
    for x, target, grad in ((a, target_a, grad_a), (b, target_b, grad_b)):
        xt = torch.from_numpy(x).requires_grad_()
        torch.nn.functional.cross_entropy(xt, torch.from_numpy(target)).backward()
        assert_close(grad, xt.grad, np.float64)


def test_backward_rejects_grad_out_of_the_wrong_shape():
    layer = nn.Linear(3, 2)
    layer(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"output's shape \(4, 2\); got shape \(4, 3\)"):
        layer.backward(np.ones((4, 3), dtype=np.float32))


def test_parameters_are_recursive_in_definition_order_without_duplicates():
    shared = nn.Linear(4, 4, rng=0)
    first, last = nn.Linear(3, 4, rng=1), nn.Linear(4, 2, bias=False, rng=2)
    model = nn.Sequential(first, nn.ReLU(), shared, nn.Sequential(shared, last))
    expected = [first.weight, first.bias, shared.weight, shared.bias, last.weight]
    assert [id(p) for p in model.parameters()] == [id(p) for p in expected]
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "3.1.weight"]


class L1Loss(nn.Loss):
    """A loss of the reader's own: the mean absolute error."""

    def forward(self, pred, target):
        return np.abs(pred - target).mean()

    def bwd(self, grad_out, pred, target):
        return grad_out * np.sign(pred - target) / pred.size


@given(data=batches(), seed=seeds())
def test_a_loss_of_ones_own_backpropagates_through_a_model_like_torch(data, seed):
    x, dtype = data
    model = nn.Linear(x.shape[1], 2, rng=seed, dtype=dtype)
    target = np.random.default_rng(seed).standard_normal((len(x), 2)).astype(dtype)
    tmodel = to_torch(model, dtype)
    loss_t = torch.nn.L1Loss()(tmodel(torch.from_numpy(x)), torch.from_numpy(target))
    loss_t.backward()
    loss_fn = L1Loss()
    loss = loss_fn(model(x), target)
    assert isinstance(loss, np.floating) and not hasattr(loss, "backward")
    assert model.backward(loss_fn.backward(), input_grad=False) is None
    assert_close(loss, loss_t, dtype)
    assert_close(model.weight.grad, tmodel.weight.grad.numpy().T, dtype)
    assert_close(model.bias.grad, tmodel.bias.grad, dtype)


def test_sequential_indexes_counts_and_iterates_like_a_list():
    layers = [nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[2]
    assert [name for name, _ in model.named_children()] == ["0", "1", "2"]


def test_parameter_shows_its_shape_and_dtype():
    p = nn.Parameter(np.zeros((2, 3), dtype=np.float32))
    assert repr(p) == "Parameter(shape=(2, 3), dtype=float32)"
    assert p.shape == (2, 3) and p.dtype == np.float32


def test_custom_module_finds_parameters_in_attributes_and_lists():
    class TwoHeads(nn.Module):
        def __init__(self):
            self.body = nn.Linear(3, 4, rng=0)
            self.heads = [nn.Linear(4, 1, rng=1), nn.Linear(4, 2, rng=2)]
            self.scale = nn.Parameter(np.ones(1))

    names = [name for name, _ in TwoHeads().named_parameters()]
    assert names == [
        "scale",
        "body.weight",
        "body.bias",
        "heads.0.weight",
        "heads.0.bias",
        "heads.1.weight",
        "heads.1.bias",
    ]


def test_repr_shows_layers_like_torch():
    model = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10, bias=False))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in=784, out=50, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in=50, out=10, bias=False)\n"
        ")"
    )
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"


@given(data=batches(), seed=seeds())
def test_modules_keep_float_dtype(data, seed):
    x, dtype = data
    model = nn.Sequential(
        nn.Linear(x.shape[1], 5, rng=seed, dtype=dtype),
        nn.ReLU(),
        nn.Linear(5, 3, rng=seed, dtype=dtype),
    )
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(model(x), np.zeros(len(x), dtype=np.int64))
    grad = model.backward(loss_fn.backward())
    assert loss.dtype == dtype and grad.dtype == dtype
    assert all(p.grad.dtype == dtype for p in model.parameters())


@given(data=batches(), seed=seeds())
def test_modules_do_not_modify_their_inputs(data, seed):
    x, dtype = data
    rng = np.random.default_rng(seed)
    target = rng.integers(0, 3, len(x))
    model = nn.Sequential(
        nn.Linear(x.shape[1], 5, rng=seed, dtype=dtype),
        nn.ReLU(),
        nn.Linear(5, 3, rng=seed, dtype=dtype),
    )
    for loss_fn, y in ((nn.CrossEntropyLoss(), target), (nn.MSELoss(), rng.random((len(x), 3)))):
        x0, y0 = x.copy(), y.copy()
        out = model(x)
        out0 = out.copy()
        loss_fn(out, y)
        grad = loss_fn.backward()
        grad0 = grad.copy()
        model.backward(grad)
        for after, before in ((x, x0), (y, y0), (out, out0), (grad, grad0)):
            np.testing.assert_array_equal(after, before)


def test_issue_example_runs_as_written_and_learns():
    rng = np.random.default_rng(0)
    xb = rng.random((64, 784), dtype=np.float32)
    yb = rng.integers(0, 10, 64)
    model = nn.Sequential(nn.Linear(784, 50, rng=1), nn.ReLU(), nn.Linear(50, 10, rng=2))
    opt = SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(5):
        loss_fn = nn.CrossEntropyLoss()
        loss = loss_fn(model(xb), yb)
        model.backward(loss_fn.backward())
        opt.step()
        opt.zero_grad()  # noqa: E702 -- the issue's spelling
        losses.append(loss)
    assert losses[-1] < losses[0]


def test_linear_weight_is_kaiming_normal():
    w = nn.Linear(500, 400, rng=0).weight.data
    assert w.shape == (500, 400) and w.dtype == np.float32
    # the sample std of 200,000 normals is within 1% of sqrt(2 / n_in) (about 3 sigma)
    assert abs(w.std() / np.sqrt(2 / 500) - 1) < 0.01
    np.testing.assert_array_equal(nn.Linear(500, 400, rng=0).weight.data, w)


def test_linear_rejects_wrong_input_width():
    with pytest.raises(ValueError, match=r"Linear\(784, 50\).*\(batch, 784\).*\(64, 785\)"):
        nn.Linear(784, 50)(np.zeros((64, 785), dtype=np.float32))


def test_linear_rejects_one_dimensional_input():
    with pytest.raises(ValueError, match=r"batch of shape \(batch, 784\).*1-D.*\(784,\).*x\[None"):
        nn.Linear(784, 50)(np.zeros(784, dtype=np.float32))


def test_linear_rejects_integer_features():
    with pytest.raises(TypeError, match=r"floating-point features.*integer.*uint8"):
        nn.Linear(784, 50)(np.zeros((2, 784), dtype=np.uint8))


def test_linear_rejects_input_of_another_float_dtype():
    with pytest.raises(TypeError, match=r"float32 weights but got float64 input"):
        nn.Linear(784, 50)(np.zeros((2, 784)))


def test_linear_rejects_non_positive_sizes():
    with pytest.raises(ValueError, match=r"n_out must be a positive integer; got 0"):
        nn.Linear(3, 0)


def test_cross_entropy_loss_rejects_bad_labels():
    loss_fn = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match=r"CrossEntropyLoss.*\[0, 3\).*got 3 at index 1"):
        loss_fn(np.zeros((2, 3)), np.array([0, 3]))


def test_mse_loss_rejects_shapes_that_would_broadcast():
    with pytest.raises(ValueError, match=r"same shape.*\(5, 1\).*\(5,\)"):
        nn.MSELoss()(np.zeros((5, 1)), np.zeros(5))


def test_parameter_rejects_integer_data():
    with pytest.raises(TypeError, match=r"floating-point array; got dtype int64"):
        nn.Parameter(np.arange(3))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_loss_backward_on_the_returned_number_shows_the_book_s_way(dtype):
    """PyTorch's `loss.backward()` fails with the way pybackprop does it, not numpy's error."""
    rng = np.random.default_rng(0)
    model = nn.Linear(3, 4, rng=0, dtype=dtype)
    pred = model(rng.standard_normal((5, 3)).astype(dtype))
    for loss_fn, target in (
        (nn.CrossEntropyLoss(), rng.integers(0, 4, 5)),
        (nn.MSELoss(), rng.standard_normal((5, 4)).astype(dtype)),
    ):
        loss = loss_fn(pred, target)
        with pytest.raises(AttributeError, match=r"model\.backward\(loss_fn\.backward\(\)\)"):
            loss.backward()
        assert not hasattr(loss, "backward")
        # otherwise a plain number of the predictions' dtype
        assert isinstance(loss, np.floating) and loss.dtype == dtype and loss.shape == ()
        assert repr(loss) == repr(dtype(float(loss))) and loss + 1 == dtype(float(loss)) + 1
        model.backward(loss_fn.backward())
        assert np.any(model.weight.grad)
        model.zero_grad()
        pred = model(rng.standard_normal((5, 3)).astype(dtype))


def shared_to_torch(module: nn.Module, memo: dict) -> torch.nn.Module:
    """to_torch in float64, one torch module per pybackprop module: a shared one stays shared."""
    if id(module) not in memo:
        if isinstance(module, nn.Sequential):
            memo[id(module)] = torch.nn.Sequential(*(shared_to_torch(m, memo) for m in module))
        else:
            memo[id(module)] = to_torch(module, np.float64)
    return memo[id(module)]


@settings(max_examples=40)
@given(
    picks=st.lists(st.integers(0, 3), min_size=1, max_size=7),
    n=st.integers(1, 6),
    passes=st.integers(1, 3),
    seed=seeds(),
)
def test_a_module_used_several_times_in_a_model_backpropagates_like_torch(picks, n, passes, seed):
    """Layers drawn with repeats from two Linears, a ReLU and a Sequential holding both."""
    rng = np.random.default_rng(seed)
    lin_a, lin_b = (
        nn.Linear(n, n, rng=rng, dtype=np.float64),
        nn.Linear(n, n, rng=rng, dtype=np.float64),
    )
    relu = nn.ReLU()
    for p in (lin_a.bias, lin_b.bias):
        p.data[:] = rng.standard_normal(n)
    pool = [lin_a, lin_b, relu, nn.Sequential(relu, lin_a, relu)]
    model = nn.Sequential(*(pool[i] for i in picks))
    tmodel = shared_to_torch(model, {})
    for _ in range(passes):  # gradients add up over passes and over each shared layer's uses
        x = rng.standard_normal((4, n))
        grad_out = rng.standard_normal((4, n))
        xt = torch.from_numpy(x).requires_grad_()
        out, out_t = model(x), tmodel(xt)
        grad_x = model.backward(grad_out)
        out_t.backward(torch.from_numpy(grad_out))
        assert_close(out, out_t, np.float64)
        assert_close(grad_x, xt.grad, np.float64)
    assert len(model.parameters()) == len(list(tmodel.parameters()))
    assert_grads_like_torch(model, tmodel)


def test_a_new_outermost_call_replaces_what_the_last_pass_kept():
    relu = nn.ReLU()
    model = nn.Sequential(relu, relu)
    for x in (np.array([[-1.0, 2.0]]), np.array([[3.0, -4.0]])):  # evaluation: no backward
        model(x)
    np.testing.assert_array_equal(model.backward(np.ones((1, 2))), [[1.0, 0.0]])
    with pytest.raises(RuntimeError, match="without a forward pass"):
        relu.backward(np.ones((1, 2)))


def test_a_forward_that_raises_does_not_join_the_next_pass():
    relu, lin = nn.ReLU(), nn.Linear(2, 2, rng=0, dtype=np.float64)
    model = nn.Sequential(relu, lin)
    with pytest.raises(TypeError):
        model(np.ones((1, 2), dtype=np.float32))  # relu runs, then lin refuses the dtype
    model(np.array([[1.0, -1.0]]))
    model.backward(np.ones((1, 2)))
    with pytest.raises(RuntimeError, match="without a forward pass"):
        relu.backward(np.ones((1, 2)))


class Assigning(nn.Module):
    """Assigns `value` to its Linear's attribute `name` (a Parameter, or a new attribute)."""

    def __init__(self, name, value):
        self.lin = nn.Linear(2, 3, rng=0)
        setattr(self.lin, name, value)


# input -> (exception type, words its message must hold); each row's words only in its error
NN_REFUSALS = {
    "a class, not an instance": (
        lambda: nn.Sequential(nn.Linear(3, 2), nn.ReLU),
        TypeError,
        "argument 1 is a type. Pass an instance, e.g. nn.ReLU() rather than nn.ReLU.",
    ),
    "a list of layers": (
        lambda: nn.Sequential([nn.Linear(3, 2), nn.ReLU()]),
        TypeError,
        "argument 0 is a list. Unpack it: nn.Sequential(*layers).",
    ),
    "a tuple of layers": (
        lambda: nn.Sequential(nn.ReLU(), (nn.Linear(3, 2),)),
        TypeError,
        "argument 1 is a tuple. Unpack it",
    ),
    "an array for a weight": (
        lambda: Assigning("weight", np.ones((2, 3), dtype=np.float32)),
        TypeError,
        "Linear.weight is a Parameter; assigning a ndarray would take it out of parameters()",
    ),
    "a list for a bias": (
        lambda: Assigning("bias", [0.0, 0.0, 0.0]),
        TypeError,
        "Linear.bias is a Parameter; assigning a list",
    ),
}


@pytest.mark.parametrize("name", NN_REFUSALS)
def test_nn_refuses_each_mistake_with_its_own_message(name):
    assert_refused_alone(NN_REFUSALS, name, lambda make: make())


def test_what_the_refusals_forbid_has_an_allowed_form():
    lin = nn.Linear(2, 3, rng=0)
    assert len(nn.Sequential(*[lin, nn.ReLU()])) == 2
    lin.weight.data[...] = np.ones((2, 3), dtype=np.float32)  # the values copied in
    lin.weight = nn.Parameter(np.zeros((2, 3), dtype=np.float32))  # a new Parameter
    lin.bias = None  # no bias, as torch allows
    lin.note = np.ones(3)  # an array where no Parameter was is a plain attribute
    assert [p.shape for p in lin.parameters()] == [(2, 3)]
    assert Assigning("scale", np.ones(3)).lin.scale.shape == (3,)
