"""Fuzzing the nn layers and losses, forward and backward: any input either gives torch's
result (float16 as torch's float32 result rounded once) or a TypeError/ValueError naming the
module and the argument."""

import numpy as np
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import FUZZ_EXAMPLES, any_arrays
from test_fuzz_functional import assert_matches, call, refused_clearly, torch_of

from pybackprop import nn

LAYER_DTYPES = st.sampled_from([np.float16, np.float32, np.float64])
GRAD_DTYPES = (np.bool_, np.int64, np.float16, np.float32, np.float64, np.complex128, np.object_)


def torch_linear(layer: nn.Linear) -> torch.nn.Linear:
    """A float64 torch Linear with the layer's weights (transposed: torch stores (out, in))."""
    twin = torch.nn.Linear(layer.n_in, layer.n_out, dtype=torch.float64)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.weight.data.T.astype(np.float64)))
        twin.bias.copy_(torch.from_numpy(layer.bias.data.astype(np.float64)))
    return twin


@settings(max_examples=FUZZ_EXAMPLES)
@given(dtype=LAYER_DTYPES, n_in=st.integers(1, 4), x=any_arrays(finite=True), data=st.data())
def test_linear_forward_and_backward_are_torchs_or_refuse(dtype, n_in, x, data):
    layer = nn.Linear(n_in, 3, rng=0, dtype=dtype)
    out, error = call(layer, x)
    if error is not None:
        refused_clearly(error, "Linear", "x", "input", "features", "batch")
        return
    assert x.dtype == dtype and x.shape[1:] == (n_in,)
    twin, xt = torch_linear(layer), torch.from_numpy(x.astype(np.float64)).requires_grad_()
    expected = twin(xt)
    assert_matches(out, expected.detach(), dtype)
    grad_out = data.draw(any_arrays(shape=out.shape, dtypes=GRAD_DTYPES, finite=True))
    grad_in, error = call(layer.backward, grad_out)
    if error is not None:
        assert grad_out.dtype.kind in "cO"
        refused_clearly(error, "Linear.backward", "grad_out")
        return
    expected.backward(torch.from_numpy(grad_out.astype(dtype).astype(np.float64)))
    assert_matches(grad_in, xt.grad, dtype)
    assert_matches(layer.weight.grad, twin.weight.grad.T, dtype)


@settings(max_examples=FUZZ_EXAMPLES)
@given(x=any_arrays(), data=st.data())
def test_relu_forward_and_backward_are_torchs_or_refuse(x, data):
    relu = nn.ReLU()
    out, error = call(relu, x)
    if error is not None:
        assert x.dtype.kind != "f" or not isinstance(x, np.ndarray)
        refused_clearly(error, "relu", "input", "x")
        return
    xt = torch_of(x).requires_grad_()
    expected = torch.relu(xt)
    assert_matches(out, expected.detach(), x.dtype)
    grad_out = data.draw(any_arrays(shape=x.shape, dtypes=GRAD_DTYPES, finite=True))
    # torch passes 0 where x <= 0 even for an infinite grad_out; the mask's product gives NaN
    with np.errstate(over="ignore"):
        assume(grad_out.dtype.kind in "cO" or np.isfinite(grad_out.astype(x.dtype)).all())
    grad_in, error = call(relu.backward, grad_out)
    if error is not None:
        assert grad_out.dtype.kind in "cO"
        refused_clearly(error, "ReLU.backward", "grad_out")
        return
    expected.backward(torch.from_numpy(grad_out.astype(x.dtype)).to(xt.dtype))
    assert_matches(grad_in, xt.grad, x.dtype)


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    x=any_arrays(finite=True),
    target=any_arrays(shape=hnp.array_shapes(max_dims=2, max_side=4), finite=True),
    grad_scale=st.floats(-2, 2) | st.sampled_from([1j, "1", None]),
)
def test_mse_loss_module_is_torchs_or_refuses(x, target, grad_scale):
    loss_fn = nn.MSELoss()
    loss, error = call(loss_fn, x, target)
    if error is not None:
        refused_clearly(error, "mse_loss", "input", "target")
        return
    xt = torch_of(x).requires_grad_()
    expected = torch.nn.functional.mse_loss(xt, torch.from_numpy(target).to(xt.dtype))
    assert_matches(loss, expected.detach(), x.dtype)
    grad, error = call(loss_fn.backward, grad_scale)
    if error is not None:
        assert not isinstance(grad_scale, float)
        refused_clearly(error, "MSELoss.backward", "grad_out")
        return
    expected.backward(torch.tensor(grad_scale, dtype=xt.dtype))
    assert_matches(grad, xt.grad, x.dtype)


@settings(max_examples=FUZZ_EXAMPLES)
@given(x=any_arrays(), data=st.data())
def test_cross_entropy_loss_module_is_torchs_or_refuses(x, data):
    loss_fn = nn.CrossEntropyLoss()
    n, c = (x.shape + (0, 0))[:2]
    y = np.random.default_rng(data.draw(st.integers(0, 9))).integers(0, max(c, 1) + 1, n)
    loss, error = call(loss_fn, x, y)
    if error is not None:
        refused_clearly(error, "CrossEntropyLoss", "input", "target")
        return
    xt = torch_of(x).requires_grad_()
    expected = torch.nn.functional.cross_entropy(xt, torch.from_numpy(y))
    assert_matches(loss, expected.detach(), x.dtype, log_domain=True)
    grad, error = call(loss_fn.backward)
    assert error is None
    expected.backward()
    assert_matches(grad, xt.grad, x.dtype)


@settings(max_examples=FUZZ_EXAMPLES)
@given(dtype=LAYER_DTYPES, x=any_arrays(finite=True))
def test_sequential_is_torchs_or_refuses_at_its_first_layer(dtype, x):
    layers = nn.Linear(3, 4, rng=0, dtype=dtype), nn.ReLU(), nn.Linear(4, 2, rng=1, dtype=dtype)
    model = nn.Sequential(*layers)
    out, error = call(model, x)
    if error is not None:
        refused_clearly(error, "Linear(3, 4)", "x", "input", "features", "batch")
        return
    first, last = torch_linear(model[0]), torch_linear(model[2])
    xt = torch.from_numpy(x.astype(np.float64)).requires_grad_()
    expected = last(torch.relu(first(xt)))
    assert_matches(out, expected.detach(), dtype)
    grad_in = model.backward(np.ones_like(out))
    expected.backward(torch.ones_like(expected))
    assert_matches(grad_in, xt.grad, dtype)
