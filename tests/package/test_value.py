"""pybackprop.Value: every operation against PyTorch (float64) and central differences, in
each operation's domain; numbers it accepts and refuses; accumulation; the NaN/inf policy."""

import math
import operator
import re

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import (
    CENTRAL_DIFF_ATOL,
    CENTRAL_DIFF_EPS,
    CENTRAL_DIFF_RTOL,
    SCALAR_ATOL,
    SCALAR_RTOL,
    positive_floats,
    small_floats,
)

from pybackprop import Value

nonzero_floats = small_floats.filter(lambda x: abs(x) > 1e-3)
exponents = st.floats(min_value=-3, max_value=3, allow_nan=False)
int_exponents = st.integers(min_value=-3, max_value=4)
exp_inputs = st.floats(min_value=-50, max_value=50, allow_nan=False)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=SCALAR_RTOL, abs_tol=SCALAR_ATOL)


def torch_grads(fn, *xs: float) -> tuple[float, list[float]]:
    """fn's value and gradient at xs, computed by PyTorch in float64."""
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = fn(*ts)
    out.backward()
    return out.item(), [0.0 if t.grad is None else t.grad.item() for t in ts]


def our_grads(fn, *xs: float) -> tuple[float, list[float]]:
    vs = [Value(x) for x in xs]
    out = fn(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


def assert_matches_torch(fn, *xs: float, torch_fn=None) -> None:
    ours, our_g = our_grads(fn, *xs)
    theirs, their_g = torch_grads(torch_fn or fn, *xs)
    assert close(ours, theirs), (ours, theirs)
    for g, tg in zip(our_g, their_g, strict=True):
        assert close(g, tg), (our_g, their_g)


# Each operation: (function of Values, the same for torch tensors or None if identical,
# strategy for its inputs inside its domain).
BINARY = {
    "add": (operator.add, None, st.tuples(small_floats, small_floats)),
    "sub": (operator.sub, None, st.tuples(small_floats, small_floats)),
    "mul": (operator.mul, None, st.tuples(small_floats, small_floats)),
    "truediv": (operator.truediv, None, st.tuples(small_floats, nonzero_floats)),
    "pow_value": (operator.pow, None, st.tuples(positive_floats, exponents)),
}
UNARY = {
    "neg": (operator.neg, None, small_floats),
    "exp": (Value.exp, torch.exp, exp_inputs),
    "log": (Value.log, torch.log, positive_floats),
    "tanh": (Value.tanh, torch.tanh, small_floats),
    "relu": (Value.relu, torch.relu, small_floats),
    "sigmoid": (Value.sigmoid, torch.sigmoid, small_floats),
}


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_op_matches_torch(name, data):
    fn, torch_fn, inputs = BINARY[name]
    assert_matches_torch(fn, *data.draw(inputs), torch_fn=torch_fn)


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary_op_matches_torch(name, data):
    fn, torch_fn, inputs = UNARY[name]
    assert_matches_torch(fn, data.draw(inputs), torch_fn=torch_fn)


def test_relu_at_zero_has_gradient_zero_as_in_torch():
    assert_matches_torch(Value.relu, 0.0, torch_fn=torch.relu)
    assert our_grads(Value.relu, 0.0) == (0.0, [0.0])


@pytest.mark.parametrize("x", [-800.0, -50.0, 50.0, 800.0])
def test_sigmoid_is_finite_and_matches_torch_where_exp_would_overflow(x):
    assert_matches_torch(Value.sigmoid, x, torch_fn=torch.sigmoid)


@given(x=positive_floats, n=exponents)
def test_pow_constant_exponent_matches_torch(x, n):
    assert_matches_torch(lambda v: v**n, x)


@given(x=nonzero_floats, n=int_exponents)
def test_pow_integer_exponent_of_negative_base_matches_torch(x, n):
    assert_matches_torch(lambda v: v**n, x)


@given(x=small_floats)
def test_pow_zero_exponent_is_one_with_zero_gradient(x):
    assert_matches_torch(lambda v: v**0, x)


# Numbers from 1e-320 (subnormal) to 1e300, either sign: where x**n or only its derivative
# n * x**(n-1) overflows.
wide_floats = st.builds(
    lambda sign, mantissa, e: sign * mantissa * 10.0**e,
    st.sampled_from([1.0, -1.0]),
    st.floats(min_value=1, max_value=9.99),
    st.integers(min_value=-320, max_value=300),
)


@given(x=wide_floats, n=st.sampled_from([-3, -2, -1, -0.5, 0.5, 1.5, 2, 3]))
def test_pow_matches_torch_unless_its_result_overflows(x, n):
    assume(x > 0 or float(n).is_integer())
    if math.isinf(torch_grads(lambda v: v**n, x)[0]):
        with pytest.raises(OverflowError, match=rf"^{re.escape(f'{x!r} ** {float(n)!r}')} over"):
            Value(x) ** n
    else:  # the derivative may be +-inf, as torch's
        assert_matches_torch(lambda v: v**n, x)


@given(x=wide_floats.map(abs), y=exponents)
def test_pow_by_a_value_matches_torch_unless_its_result_overflows(x, y):
    if math.isinf(torch_grads(operator.pow, x, y)[0]):
        with pytest.raises(OverflowError, match=rf"^{re.escape(f'{x!r} ** {y!r}')} over"):
            Value(x) ** Value(y)
    else:
        assert_matches_torch(operator.pow, x, y)


def test_an_overflowing_derivative_is_inf_as_for_division():
    x = Value(1e-200)
    (x**-1).backward()
    y = Value(1e-200)
    (1 / y).backward()
    assert x.grad == y.grad == -math.inf
    assert (Value(-1e-100) ** -3).data == pytest.approx(-1e300)
    base, exponent = Value(1e-300), Value(-0.5)
    (base**exponent).backward()
    assert (base.grad, exponent.grad) == (-math.inf, pytest.approx(-6.907755278982137e152))


# Reflected forms: the number on the left, the Value on the right.
REFLECTED = {
    "radd": (lambda c, v: c + v, small_floats),
    "rsub": (lambda c, v: c - v, small_floats),
    "rmul": (lambda c, v: c * v, small_floats),
    "rtruediv": (lambda c, v: c / v, nonzero_floats),
    "rpow": (lambda c, v: c**v, exponents),
}
NUMBER_TYPES = [float, int, np.float64, np.float32, np.int64, np.int32]


@pytest.mark.parametrize("name", REFLECTED)
@given(data=st.data())
def test_reflected_op_with_number_matches_torch(name, data):
    fn, inputs = REFLECTED[name]
    x = data.draw(inputs)
    c = data.draw(positive_floats if name == "rpow" else small_floats)
    assert_matches_torch(lambda v: fn(c, v), x)


@pytest.mark.parametrize("number_type", NUMBER_TYPES)
@pytest.mark.parametrize(
    "op", [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]
)
@settings(max_examples=20)  # 30 combinations of type and operation; c has only 5 values
@given(c=st.integers(min_value=1, max_value=5), x=positive_floats)
def test_numpy_scalars_act_as_numbers_on_either_side(number_type, op, c, x):
    const = number_type(c)
    assert type(op(const, Value(x))) is Value and type(op(Value(x), const)) is Value
    assert_matches_torch(lambda v: op(v, const), x, torch_fn=lambda t: op(t, float(c)))
    assert_matches_torch(lambda v: op(const, v), x, torch_fn=lambda t: op(float(c), t))


@given(x=small_floats)
def test_numpy_scalar_data_becomes_a_python_float(x):
    for number_type in (np.float64, np.float32):
        v = Value(number_type(x))
        assert type(v.data) is float and v.data == float(number_type(x))
    assert Value(np.int64(7)).data == 7.0 and type(Value(7).data) is float


def test_bool_counts_as_zero_or_one():
    assert Value(True).data == 1.0 and (Value(2.0) * False).data == 0.0


# ---- derivatives against central differences ----


def central_difference(fn, xs: list[float], i: int) -> float:
    h = CENTRAL_DIFF_EPS
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (fn(*map(Value, up)).data - fn(*map(Value, down)).data) / (2 * h)


@pytest.mark.parametrize("name", [*BINARY, *UNARY])
@given(data=st.data())
def test_gradient_matches_central_difference(name, data):
    fn, _, inputs = BINARY[name] if name in BINARY else UNARY[name]
    xs = list(data.draw(inputs)) if name in BINARY else [data.draw(inputs)]
    if name == "relu":
        assume(abs(xs[0]) > 1e-3)  # no derivative at the kink
    _, grads = our_grads(fn, *xs)
    for i, g in enumerate(grads):
        numeric = central_difference(fn, xs, i)
        assert math.isclose(g, numeric, rel_tol=CENTRAL_DIFF_RTOL, abs_tol=CENTRAL_DIFF_ATOL)


# ---- operations leave their inputs alone ----


@pytest.mark.parametrize("name", [*BINARY, *UNARY])
@given(data=st.data())
def test_operation_does_not_modify_its_inputs(name, data):
    fn, _, inputs = BINARY[name] if name in BINARY else UNARY[name]
    xs = list(data.draw(inputs)) if name in BINARY else [data.draw(inputs)]
    vs = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    for v in vs:
        v.grad = 0.5
    out = fn(*vs)
    assert out not in vs
    for v, x in zip(vs, xs, strict=True):
        assert (v.data, v.grad, v.op, v.parents, v.label) == (x, 0.5, "", (), v.label)


def test_node_records_op_and_parents():
    a, b = Value(2.0, label="a"), Value(3.0)
    c = a * b
    assert (c.op, c.parents, c.label, c.grad) == ("*", (a, b), "", 0.0)
    assert (a.op, a.parents, a.label) == ("", (), "a")
    assert (a**2).op == "**2" and (a**0.5).op == "**0.5" and a.tanh().op == "tanh"


# ---- bad input ----


@pytest.mark.parametrize(
    "bad, type_name",
    [
        ("3", "str"),
        (None, "NoneType"),
        ([1], "list"),
        (np.array(1.0), "ndarray"),
        (1 + 2j, "complex"),
    ],
)
def test_constructor_rejects_non_numbers_naming_the_type(bad, type_name):
    with pytest.raises(TypeError, match=type_name):
        Value(bad)


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(1.0, label=3)


@pytest.mark.parametrize(
    "op", [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]
)
@pytest.mark.parametrize("bad", ["a", None, [1.0], 1j])
def test_operation_with_non_number_raises_type_error(op, bad):
    with pytest.raises(TypeError, match="unsupported operand|can't multiply|Value"):
        op(Value(2.0), bad)
    with pytest.raises(TypeError, match="unsupported operand|can't multiply|Value"):
        op(bad, Value(2.0))


@given(x=st.floats(max_value=0, allow_nan=False, allow_infinity=False))
def test_log_of_non_positive_raises_naming_the_value(x):
    message = f"log needs a positive number: log of Value(data={x!r}"
    with pytest.raises(ValueError, match=re.escape(message)):
        Value(x).log()


@pytest.mark.parametrize(
    "divide",
    [
        lambda a: a / Value(0.0),
        lambda a: a / 0,
        lambda a: 1.0 / Value(0.0),
        lambda a: a / np.float64(0),
    ],
)
def test_division_by_zero_raises_zero_division_error(divide):
    with pytest.raises(ZeroDivisionError, match="division by zero.*Value\\(data=0.0"):
        divide(Value(3.0))


@given(n=st.floats(max_value=-1e-3, min_value=-10))
def test_zero_to_a_negative_power_raises_zero_division_error(n):
    with pytest.raises(ZeroDivisionError, match=r"0 cannot be raised to a negative power"):
        Value(0.0) ** n


@given(x=st.floats(min_value=-100, max_value=-1e-3), n=st.floats(min_value=-3, max_value=3))
def test_negative_base_with_fractional_exponent_raises_value_error(x, n):
    assume(not n.is_integer())
    with pytest.raises(ValueError, match="complex"):
        Value(x) ** n


@given(x=st.floats(min_value=-100, max_value=0), y=small_floats)
def test_value_exponent_needs_a_positive_base(x, y):
    with pytest.raises(ValueError, match="positive base"):
        Value(x) ** Value(y)
    with pytest.raises(ValueError, match="positive base"):
        x ** Value(y)


def test_fractional_power_of_zero_has_no_finite_derivative():
    with pytest.raises(ValueError, match="no finite derivative at x = 0"):
        Value(0.0) ** 0.5


def test_overflow_raises_naming_the_value():
    with pytest.raises(OverflowError, match=r"exp overflows.*Value\(data=1000.0"):
        Value(1000.0).exp()
    with pytest.raises(OverflowError, match="overflows"):
        Value(1e200) ** 2
    with pytest.raises(OverflowError, match="overflows"):
        Value(10.0) ** Value(400.0)


# ---- repr and hashing ----


@given(x=small_floats)
def test_repr_shows_data_and_grad(x):
    v = Value(x)
    v.grad = 0.25
    assert repr(v) == f"Value(data={float(x)!r}, grad=0.25)"
    assert repr(Value(2)) == "Value(data=2.0, grad=0.0)"


def test_values_hash_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert len({a, b, a}) == 2
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"
    a.data = 5.0  # changing data does not move it in a set
    assert a in {a}


# ---- backward ----


@given(x=small_floats, y=small_floats, seed=small_floats)
def test_backward_seed_scales_every_gradient(x, y, seed):
    a, b = Value(x), Value(y)
    out = (a * b + a).tanh()
    out.backward(seed)
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x, y))
    (ta * tb + ta).tanh().backward(torch.tensor(seed, dtype=torch.float64))
    assert out.grad == seed
    assert close(a.grad, ta.grad.item()) and close(b.grad, tb.grad.item())


@given(x=small_floats, y=small_floats)
def test_gradients_accumulate_over_calls_then_zero_grad_clears_them(x, y):
    a, b = Value(x), Value(y)
    h = a * b
    out = h.tanh() + h * a  # h and a are used twice
    out.backward()
    out.backward()
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x, y))
    th = ta * tb
    th.retain_grad()
    tout = th.tanh() + th * ta
    tout.backward(retain_graph=True)
    tout.backward()
    for ours, theirs in ((a, ta), (b, tb), (h, th)):
        assert close(ours.grad, theirs.grad.item())
    assert out.grad == 2.0
    out.zero_grad()
    assert [v.grad for v in (a, b, h, out)] == [0.0] * 4


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_backward_from_non_finite_output_raises_before_touching_grads(bad):
    a, b = Value(bad), Value(2.0)
    a.grad, b.grad = 0.5, 0.25
    out = a * b + 1.0
    with pytest.raises(FloatingPointError, match=r"non-finite output Value\(data=(-?inf|nan)"):
        out.backward()
    assert (a.grad, b.grad, out.grad) == (0.5, 0.25, 0.0)


def test_backward_after_float_overflow_raises():
    big = Value(1e300)
    out = big * big  # inf, as floats overflow
    assert out.data == math.inf
    with pytest.raises(FloatingPointError, match="overflow"):
        out.backward()
    assert big.grad == 0.0


@pytest.mark.parametrize("seed", [math.inf, math.nan])
def test_backward_with_non_finite_seed_raises(seed):
    a = Value(1.0)
    with pytest.raises(FloatingPointError, match="finite seed"):
        (a * 2.0).backward(seed)
    assert a.grad == 0.0


def test_backward_seed_must_be_a_number():
    with pytest.raises(TypeError, match="got str"):
        Value(1.0).backward("1")


def test_leaf_backward_sets_its_own_grad():
    a = Value(3.0)
    a.backward()
    assert a.grad == 1.0


# ---- micrograd's names: code from Karpathy's lecture runs on Value -------------------------------
# Written here in the lecture's style (not copied): `_prev`, `_op`, and `_backward()` by hand.


def lecture_neuron():
    """The lecture's first example: o = tanh(x1*w1 + x2*w2 + b), every node labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    nodes = (o, n, x1w1x2w2, x2w2, x1w1)
    return o, nodes, (x1, x2, w1, w2, b)


def build_topo(root):
    """The lecture's recursive topological sort, over `_prev`."""
    topo, visited = [], set()

    def visit(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                visit(child)
            topo.append(v)

    visit(root)
    return topo


def trace(root):
    """A draw_dot-style walk: every node and every (child, parent) edge, through `_prev`."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def test_prev_is_the_set_of_parents_and_op_is_op():
    a, b = Value(2.0), Value(-3.0)
    c = a * b + a
    assert c._prev == set(c.parents) and isinstance(c._prev, set)
    assert (a * a)._prev == {a}  # a set: the repeated parent appears once
    assert c._op == c.op == "+" and a._op == "" and a._prev == set()
    with pytest.raises(AttributeError):
        c._op = "*"


def test_manual_backward_steps_as_in_the_lecture_match_backward_and_torch():
    o, (o_, n, s, x2w2, x1w1), (x1, x2, w1, w2, b) = lecture_neuron()
    o.grad = 1.0
    o._backward()
    n._backward()
    s._backward()
    x2w2._backward()
    x1w1._backward()
    manual = [v.grad for v in (n, x1, x2, w1, w2, b)]
    assert math.isclose(n.grad, 1 - o.data**2, rel_tol=SCALAR_RTOL)

    o2, (_, n2, *_), leaves = lecture_neuron()
    o2.backward()
    assert manual == [v.grad for v in (n2, *leaves)]

    def neuron(x1, x2, w1, w2, b):
        return torch.tanh(x1 * w1 + x2 * w2 + b)

    _, expected = torch_grads(neuron, 2.0, 0.0, -3.0, 1.0, 6.8813735870195432)
    assert all(close(g, e) for g, e in zip(manual[1:], expected, strict=True))


def test_backward_on_a_leaf_step_does_nothing():
    leaf = Value(3.0)
    leaf.grad = 2.0
    leaf._backward()
    assert leaf.grad == 2.0


@settings(max_examples=50)
@given(x=small_floats, y=nonzero_floats, z=small_floats)
def test_backward_steps_in_reverse_topological_order_give_backward_s_grads(x, y, z):
    def graph():
        a, b, c = Value(x), Value(y), Value(z)
        d = a * b + c / b
        e = (d * a).tanh() + (c - a) ** 2 + d.sigmoid() * b
        return e, (a, b, c)

    e, leaves = graph()
    e.grad = 1.0
    for node in reversed(build_topo(e)):
        node._backward()
    e2, leaves2 = graph()
    e2.backward()
    assert [v.grad for v in leaves] == pytest.approx([v.grad for v in leaves2], rel=1e-12)


def test_a_draw_dot_style_walk_finds_every_node_edge_and_op():
    o, inner, leaves = lecture_neuron()
    nodes, edges = trace(o)
    assert nodes == {*inner, *leaves}
    assert len(edges) == 9  # two for each of the two * and two +, one for tanh
    assert all(child in parent._prev for child, parent in edges)
    lines = [
        f"{v.label} | data {v.data:.4f} | grad {v.grad:.4f}" + (f" [{v._op}]" if v._op else "")
        for v in sorted(nodes, key=lambda v: v.label)
    ]
    assert "o | data 0.7071 | grad 0.0000 [tanh]" in lines
    assert "x1*w1 | data -6.0000 | grad 0.0000 [*]" in lines


def test_the_lecture_s_dot_source_builds_with_graphviz():
    graphviz = pytest.importorskip("graphviz")
    o, _, _ = lecture_neuron()
    o.backward()
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(o)
    for v in nodes:
        uid = str(id(v))
        dot.node(
            uid, label=f"{{ {v.label} | data {v.data:.4f} | grad {v.grad:.4f} }}", shape="record"
        )
        if v._op:
            dot.node(uid + v._op, label=v._op)
            dot.edge(uid + v._op, uid)
    for child, parent in edges:
        dot.edge(str(id(child)), str(id(parent)) + parent._op)
    assert "grad 0.5000" in dot.source and "label=tanh" in dot.source


class LectureNeuron:
    def __init__(self, nin, rng):
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(rng.uniform(-1, 1))

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        e = (2 * act).exp()  # tanh written with exp, as the lecture does once
        return (e - 1) / (e + 1)

    def parameters(self):
        return self.w + [self.b]


class LectureLayer:
    def __init__(self, nin, nout, rng):
        self.neurons = [LectureNeuron(nin, rng) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class LectureMLP:
    def __init__(self, nin, nouts, rng):
        sizes = [nin] + nouts
        self.layers = [LectureLayer(sizes[i], sizes[i + 1], rng) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def test_the_lecture_s_mlp_trains_and_matches_torch():
    import random

    rng = random.Random(0)
    net = LectureMLP(3, [4, 4, 1], rng)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    params = net.parameters()

    # torch, on the same weights: each layer a matrix, tanh via torch.tanh
    def tensor(values):
        return torch.tensor(values, dtype=torch.float64, requires_grad=True)

    # column j of a layer's matrix holds neuron j's weights
    weights = [
        (tensor([[w.data for w in n.w] for n in layer.neurons]).T.detach().requires_grad_(),
         tensor([n.b.data for n in layer.neurons]))
        for layer in net.layers
    ]  # fmt: skip
    h = torch.tensor(xs, dtype=torch.float64)
    for w, b in weights:
        h = torch.tanh(h @ w + b)
    torch_loss = ((h[:, 0] - torch.tensor(ys, dtype=torch.float64)) ** 2).sum()
    torch_loss.backward()

    ypred = [net(x) for x in xs]
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred, strict=True))
    for p in params:
        p.grad = 0.0
    loss.backward()
    assert math.isclose(loss.data, torch_loss.item(), rel_tol=1e-12)
    grads = [
        g
        for layer, (w, b) in zip(net.layers, weights, strict=True)
        for j in range(len(layer.neurons))
        for g in [*w.grad[:, j].tolist(), b.grad[j].item()]
    ]
    assert [p.grad for p in params] == pytest.approx(grads, rel=1e-10, abs=1e-12)

    for _ in range(20):  # the lecture's training loop: the loss goes down
        ypred = [net(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred, strict=True))
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data += -0.05 * p.grad
    assert loss.data < torch_loss.item()


@given(
    b=st.floats(min_value=1e-300, max_value=1e-150),
    ratio=st.floats(min_value=-10, max_value=10).filter(lambda r: abs(r) > 0.1),
    sign=st.sampled_from([1.0, -1.0]),
)
def test_division_of_tiny_numbers_matches_torch_without_underflow(b, ratio, sign):
    # b * b underflows to 0 here: d(a/b)/db = -a/b**2 must be computed as -(a/b)/b
    assert_matches_torch(operator.truediv, ratio * b, sign * b)


def test_the_issue_s_tiny_quotient_is_one():
    a, b = Value(1e-200), Value(1e-200)
    q = a / b
    q.backward()
    assert (q.data, a.grad, b.grad) == (1.0, 1e200, -1e200)


# input -> (exception type, words its message must hold); each row's words only in its error
ARRAY = np.ones(3)
BINARY_OPS = [
    ("+", operator.add),
    ("-", operator.sub),
    ("*", operator.mul),
    ("/", operator.truediv),
    ("**", operator.pow),
]
VALUE_REFUSALS = {
    **{
        f"Value {name} array": (
            lambda op=op: op(Value(1.0), ARRAY),
            TypeError,
            "a Value combines with single numbers, not arrays: got ndarray of shape (3,)",
        )
        for name, op in BINARY_OPS
    },  # fmt: skip
    **{
        f"array {name} Value": (
            lambda op=op: op(ARRAY, Value(2.0)),
            TypeError,
            "a Value combines with single numbers, not arrays: got ndarray of shape (3,)",
        )
        for name, op in BINARY_OPS
    },  # fmt: skip
    "a 0-d array": (
        lambda: Value(1.0) * np.array(2.0),
        TypeError,
        "not arrays: got ndarray of shape (). Loop over its elements, or take one "
        "number out with .item()",
    ),
    "a torch tensor": (
        lambda: torch.ones(2) + Value(1.0),
        TypeError,
        "not arrays: got Tensor of shape (2,)",
    ),
    "division by zero": (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, "division by zero"),
    "a list": (lambda: Value(1.0) + [1.0], TypeError, "unsupported operand type(s) for +"),
}


@pytest.mark.parametrize("name", VALUE_REFUSALS)
def test_value_refuses_each_mistake_with_its_own_message(name):
    make, error, words = VALUE_REFUSALS[name]
    with pytest.raises(error) as info:
        make()
    assert type(info.value) is error and words in str(info.value)
    if "array" not in name and "0-d" not in name and "tensor" not in name:
        assert "not arrays" not in str(info.value)


@pytest.mark.parametrize("number", [2, 2.0, np.float64(2.0), np.float32(2.0), np.int64(2)])
def test_numbers_numpy_scalars_included_are_not_taken_for_arrays(number):
    for op in (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow):
        assert isinstance(op(Value(3.0), number), Value)
        assert isinstance(op(number, Value(3.0)), Value)
