"""pybackprop.scalar networks (Neuron, Layer, MLP) against the same network in PyTorch."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import F64_ATOL, F64_RTOL, SCALAR_ATOL, SCALAR_RTOL, seeds

from pybackprop import MLP, Value
from pybackprop.scalar import Layer, Neuron
from pybackprop.scalar.nn import Module

nonlins = st.sampled_from(["relu", "tanh"])
layer_sizes = st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=3)


def torch_model(mlp: MLP) -> torch.nn.Sequential:
    """The same network in PyTorch (float64), with the MLP's weights copied in."""
    modules = []
    for layer in mlp.layers:
        linear = torch.nn.Linear(layer.n_in, len(layer.neurons), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(
                torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
            )
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        if layer.neurons[0].nonlin:
            modules.append(torch.nn.ReLU() if mlp.nonlin == "relu" else torch.nn.Tanh())
    return torch.nn.Sequential(*modules)


def torch_grads_in_our_order(model: torch.nn.Sequential) -> list[float]:
    """Parameter gradients ordered like MLP.parameters(): each neuron's weights, then bias."""
    grads = []
    for linear in model:
        if isinstance(linear, torch.nn.Linear):
            for row, b in zip(linear.weight.grad, linear.bias.grad, strict=True):
                grads += [*row.tolist(), b.item()]
    return grads


def mse(outputs, targets):
    """Mean squared error over a batch of outputs (Values or tensors)."""
    total = 0.0
    for out, target in zip(outputs, targets, strict=True):
        for o, t in zip(out, target, strict=True):
            total = total + (o - t) ** 2
    return total * (1.0 / len(outputs))


def our_outputs(mlp: MLP, x: np.ndarray) -> list[list[Value]]:
    outs = [mlp(row) for row in x]
    return [o if isinstance(o, list) else [o] for o in outs]


@st.composite
def problems(draw):
    """An MLP shape, non-linearity and seed, and a small batch of inputs and targets."""
    n_in = draw(st.integers(min_value=1, max_value=4))
    n_outs = draw(layer_sizes)
    batch = draw(st.integers(min_value=1, max_value=5))
    rng = np.random.default_rng(draw(seeds()))
    x = rng.uniform(-2, 2, (batch, n_in))
    y = rng.uniform(-2, 2, (batch, n_outs[-1]))
    return n_in, n_outs, draw(nonlins), draw(seeds()), x, y


@settings(max_examples=40)
@given(problem=problems())
def test_mlp_loss_and_every_parameter_gradient_match_torch(problem):
    n_in, n_outs, nonlin, seed, x, y = problem
    mlp = MLP(n_in, n_outs, rng=seed, nonlin=nonlin)
    loss = mse(our_outputs(mlp, x), y)
    loss.backward()

    model = torch_model(mlp)
    tloss = ((model(torch.tensor(x)) - torch.tensor(y)) ** 2).sum(dim=1).mean()
    tloss.backward()

    assert math.isclose(loss.data, tloss.item(), rel_tol=SCALAR_RTOL, abs_tol=SCALAR_ATOL)
    ours = [p.grad for p in mlp.parameters()]
    np.testing.assert_allclose(
        ours, torch_grads_in_our_order(model), rtol=SCALAR_RTOL, atol=SCALAR_ATOL
    )


@settings(max_examples=10)
@given(problem=problems())
def test_twenty_sgd_steps_give_the_same_parameters_as_torch(problem):
    n_in, n_outs, nonlin, seed, x, y = problem
    lr = 0.05
    mlp = MLP(n_in, n_outs, rng=seed, nonlin=nonlin)
    model = torch_model(mlp)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(20):
        mlp.zero_grad()
        mse(our_outputs(mlp, x), y).backward()
        for p in mlp.parameters():
            p.data -= lr * p.grad

        opt.zero_grad()
        ((model(torch.tensor(x)) - torch.tensor(y)) ** 2).sum(dim=1).mean().backward()
        opt.step()
    theirs = []
    for linear in model:
        if isinstance(linear, torch.nn.Linear):
            for row, b in zip(linear.weight, linear.bias, strict=True):
                theirs += [*row.tolist(), b.item()]
    # 20 steps of rounding differences: the array tolerances, not the single-op one.
    np.testing.assert_allclose(
        [p.data for p in mlp.parameters()], theirs, rtol=F64_RTOL, atol=F64_ATOL
    )


@pytest.mark.parametrize("net, n_in", [(Neuron(3), 3), (Layer(3, 2), 3), (MLP(3, [4, 1]), 3)])
@pytest.mark.parametrize("wrong", [0, 2, 4])
def test_wrong_input_length_names_expected_and_received_sizes(net, n_in, wrong):
    with pytest.raises(ValueError, match=f"expects {n_in} inputs, got {wrong}"):
        net([1.0] * wrong)


@given(seed=seeds())
def test_same_seed_or_generator_gives_the_same_weights(seed):
    def weights(net):
        return [p.data for p in net.parameters()]

    assert weights(MLP(3, [4, 2], rng=seed)) == weights(MLP(3, [4, 2], rng=seed))
    assert weights(MLP(3, [4, 2], rng=np.random.default_rng(seed))) == weights(
        MLP(3, [4, 2], rng=seed)
    )
    assert weights(MLP(3, [4, 2], rng=seed)) != weights(MLP(3, [4, 2], rng=seed + 1))


@given(seed=seeds())
def test_weights_start_uniform_in_minus_one_one_and_biases_at_zero(seed):
    mlp = MLP(5, [8, 3], rng=seed)
    for layer in mlp.layers:
        for n in layer.neurons:
            assert all(-1.0 <= w.data < 1.0 for w in n.w) and n.b.data == 0.0


@given(n_in=st.integers(1, 4), n_outs=layer_sizes)
def test_parameters_are_each_neurons_weights_then_bias_in_order(n_in, n_outs):
    mlp = MLP(n_in, n_outs, rng=0)
    expected = [p for layer in mlp.layers for n in layer.neurons for p in [*n.w, n.b]]
    params = mlp.parameters()
    assert len(params) == len(expected) and all(
        p is e for p, e in zip(params, expected, strict=True)
    )
    sizes = [n_in, *n_outs]
    assert len(params) == sum((a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False))
    assert len({id(p) for p in params}) == len(params)


def test_single_output_returns_a_value_and_several_return_a_list():
    assert isinstance(MLP(2, [3, 1], rng=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 2], rng=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(o, Value) for o in out)
    layer_out = Layer(2, 1, rng=0)([1.0, 2.0])
    assert isinstance(layer_out, list) and len(layer_out) == 1


@given(x=st.lists(st.floats(-3, 3), min_size=3, max_size=3), seed=seeds())
def test_inputs_may_be_numbers_numpy_scalars_or_values(x, seed):
    mlp = MLP(3, [2, 1], rng=seed)
    expected = mlp(x).data
    assert mlp(np.array(x)).data == expected
    assert mlp([Value(xi) for xi in x]).data == expected


def test_zero_grad_clears_every_parameter():
    for net in (Neuron(3, rng=0), Layer(3, 2, rng=0), MLP(3, [4, 1], rng=0)):
        out = net([1.0, -2.0, 0.5])
        (out if isinstance(out, Value) else out[0]).backward()
        assert any(p.grad != 0.0 for p in net.parameters())
        net.zero_grad()
        assert all(p.grad == 0.0 for p in net.parameters())


def test_a_module_subclass_lists_its_parameters_and_inherits_zero_grad():
    class Scale(Module):
        def __init__(self):
            self.k = Value(2.0)

        def __call__(self, x):
            return self.k * x

        def parameters(self):
            return [self.k]

    assert Module().parameters() == []
    m = Scale()
    m(3.0).backward()
    assert m.k.grad == 3.0
    m.zero_grad()
    assert m.k.grad == 0.0


@given(x=st.lists(st.floats(-3, 3), min_size=2, max_size=2), seed=seeds())
def test_neuron_nonlin_options(x, seed):
    relu, micrograd_relu, tanh, linear = (
        Neuron(2, "relu", rng=seed),
        Neuron(2, True, rng=seed),  # micrograd's Neuron(nin, nonlin=True)
        Neuron(2, "tanh", rng=seed),
        Neuron(2, nonlin=False, rng=seed),
    )
    pre = linear(x).data
    assert relu(x).data == micrograd_relu(x).data == max(pre, 0.0)
    assert tanh(x).data == math.tanh(pre)


# input -> (exception type, words its message must hold); each row's words only in its error
SCALAR_NN_REFUSALS = {
    "MLP nonlin gelu": (
        lambda: MLP(2, [3, 1], nonlin="gelu"),
        "MLP: nonlin must be 'relu' or 'tanh', got 'gelu'",
    ),
    "MLP nonlin True": (lambda: MLP(2, [3, 1], nonlin=True), "must be 'relu' or 'tanh', got True"),
    "Layer nonlin sigmoid": (
        lambda: Layer(2, 3, nonlin="sigmoid"),
        "nonlin must be 'relu', 'tanh', True (relu, micrograd's) or False (linear), got 'sigmoid'",
    ),
    "Neuron nonlin 1": (lambda: Neuron(2, nonlin=1), "or False (linear), got 1"),
    "empty MLP": (lambda: MLP(2, []), "an MLP needs at least one layer: n_outs is empty"),
    "no inputs": (lambda: Neuron(0), "a Neuron needs at least one input, got n_in=0"),
    "no neurons": (lambda: MLP(2, [0, 1]), "a Layer needs at least one neuron, got n_out=0"),
}


@pytest.mark.parametrize("name", SCALAR_NN_REFUSALS)
def test_scalar_nn_refuses_each_mistake_with_its_own_message(name):
    make, words = SCALAR_NN_REFUSALS[name]
    with pytest.raises(ValueError) as info:
        make()
    assert words in str(info.value)
    others = [w for n, (_, w) in SCALAR_NN_REFUSALS.items() if n != name]
    assert not any(w in str(info.value) for w in others)


def test_repr_shows_the_shape():
    assert repr(MLP(2, [16, 16, 1], rng=0)) == "MLP(2, [16, 16, 1], nonlin='relu')"
    assert repr(Neuron(3, nonlin=False, rng=0)) == "Neuron(3, linear)"
