"""Networks of scalar neurons built from ``Value``s, as in micrograd: Neuron, Layer, MLP.

Shapes are list lengths: a Neuron maps n_in numbers to one Value, a Layer maps n_in to n_out,
an MLP chains Layers. Their ``Module`` base class gives them ``zero_grad``. Inputs may be
numbers or Values; numbers become leaf Values once, shared by every neuron.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .engine import Value

__all__ = ["MLP", "Layer", "Module", "Neuron"]

NONLINS = ("relu", "tanh")


def _nonlin(nonlin: bool | str) -> str | bool:
    """`nonlin` as "relu", "tanh" or False; True is micrograd's spelling of "relu"."""
    if nonlin is True:
        return "relu"
    if nonlin is False or (isinstance(nonlin, str) and nonlin in NONLINS):
        return nonlin
    raise ValueError(
        f"nonlin must be 'relu', 'tanh', True (relu, micrograd's) or False (linear), got {nonlin!r}"
    )


def _as_values(x: Sequence[Value | float], n_in: int, who: str) -> list[Value]:
    """The inputs as Values (numbers become leaf Values once, shared by every neuron)."""
    if len(x) != n_in:
        raise ValueError(f"{who} expects {n_in} inputs, got {len(x)}")
    return [xi if isinstance(xi, Value) else Value(xi) for xi in x]


class Module:
    """What Neuron, Layer and MLP share: their parameters, and clearing their gradients."""

    def parameters(self) -> list[Value]:
        """The Values that training updates: none here, a subclass lists its own."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 (gradients accumulate until you do)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One neuron: x: (n_in,) -> ``nonlin(w . x + b)``, one Value; linear if ``nonlin=False``.

    Parameters
    ----------
    n_in : int
        The number of inputs, at least 1: the neuron holds n_in weights ``w`` and a bias ``b``.
    nonlin : bool or str, default True
        ``"relu"`` (micrograd's neuron; ``True`` is micrograd's spelling), ``"tanh"`` (the
        lecture's), or ``False`` for a linear neuron.
    rng : int | np.random.Generator | None, default None
        Seed or generator for the weights, uniform in [-1, 1) as in micrograd (biases start at 0).

    Raises
    ------
    ValueError
        If ``n_in`` < 1, ``nonlin`` is none of the above, or a call gets other than n_in inputs.

    Examples
    --------
    >>> from pybackprop.scalar import Neuron
    >>> n = Neuron(3, rng=0)
    >>> n([1.0, -2.0, 0.5]).backward()
    >>> [w.grad for w in n.w]  # d(out)/dw = x where the relu is active
    [1.0, -2.0, 0.5]
    """

    def __init__(
        self,
        n_in: int,
        nonlin: bool | str = True,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        nonlin = _nonlin(nonlin)
        if n_in < 1:
            raise ValueError(f"a Neuron needs at least one input, got n_in={n_in}")
        rng = np.random.default_rng(rng)
        self.w = [Value(float(wi)) for wi in rng.uniform(-1.0, 1.0, n_in)]
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Value | float]) -> Value:
        """x: (n_in,) numbers or Values -> one Value."""
        x = _as_values(x, len(self.w), "Neuron")
        act = self.b
        for wi, xi in zip(self.w, x, strict=True):
            act = act + wi * xi
        if not self.nonlin:
            return act
        return act.relu() if self.nonlin == "relu" else act.tanh()

    def parameters(self) -> list[Value]:
        """The weights, then the bias: ``[*w, b]``."""
        return [*self.w, self.b]

    def __repr__(self) -> str:
        kind = self.nonlin or "linear"
        return f"Neuron({len(self.w)}, {kind})"


class Layer(Module):
    """n_out independent neurons on the same inputs: x: (n_in,) -> list of n_out Values.

    Parameters
    ----------
    n_in : int
        The number of inputs of every neuron, at least 1.
    n_out : int
        The number of neurons (``layer.neurons``), hence of outputs, at least 1.
    nonlin : bool or str, default True
        Every neuron's: ``"relu"`` (or ``True``), ``"tanh"``, or ``False`` (linear).
    rng : int | np.random.Generator | None, default None
        Seed or generator for the weights, drawn neuron by neuron.

    Raises
    ------
    ValueError
        If a size is below 1, ``nonlin`` is unknown, or a call gets other than n_in inputs.

    Examples
    --------
    >>> from pybackprop.scalar import Layer
    >>> ys = Layer(2, 3, rng=0)([0.5, -1.0])
    >>> print([round(y.data, 4) for y in ys])
    [0.5974, 0.5079, 0.0]
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        nonlin: bool | str = True,
        rng: int | np.random.Generator | None = None,
    ) -> None:
        if n_out < 1:
            raise ValueError(f"a Layer needs at least one neuron, got n_out={n_out}")
        rng = np.random.default_rng(rng)  # one generator, so each neuron gets new weights
        self.n_in = n_in
        self.neurons = [Neuron(n_in, nonlin, rng) for _ in range(n_out)]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        """x: (n_in,) numbers or Values -> (n_out,) Values, a list even of one."""
        x = _as_values(x, self.n_in, "Layer")
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        """Each neuron's weights then bias, neuron by neuron: n_out * (n_in + 1) Values."""
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer({self.n_in}, {len(self.neurons)}, [{', '.join(map(repr, self.neurons))}])"


class MLP(Module):
    """A multi-layer perceptron: x: (n_in,) -> n_outs[0] -> ... -> (n_outs[-1],) Values.

    Every layer (``mlp.layers``) but the last applies ``nonlin``; the last is linear. A
    call returns one Value if the last layer has one neuron, else a list of Values.

    Parameters
    ----------
    n_in : int
        The number of inputs, at least 1.
    n_outs : Sequence[int]
        The width of each layer in turn, each at least 1; the last is the number of outputs.
    rng : int | np.random.Generator | None, default None
        Seed or generator for all the weights, drawn layer by layer.
    nonlin : str, default "relu"
        ``"relu"`` (micrograd's library) or ``"tanh"`` (Karpathy's lecture), used by every layer
        but the last.

    Raises
    ------
    ValueError
        If ``n_outs`` is empty or has a size below 1, ``nonlin`` is neither name, or a call
        gets other than n_in inputs.

    Examples
    --------
    >>> from pybackprop import MLP
    >>> mlp = MLP(2, [4, 4, 1], rng=0)
    >>> ((mlp([1.0, -1.0]) - 1.0) ** 2).backward()
    >>> len(mlp.parameters()), round(mlp.layers[0].neurons[0].w[0].grad, 4)
    (37, -0.6366)
    """

    def __init__(
        self,
        n_in: int,
        n_outs: Sequence[int],
        rng: int | np.random.Generator | None = None,
        nonlin: str = "relu",
    ) -> None:
        if not (isinstance(nonlin, str) and nonlin in NONLINS):
            raise ValueError(f"MLP: nonlin must be 'relu' or 'tanh', got {nonlin!r}")
        if len(n_outs) == 0:
            raise ValueError("an MLP needs at least one layer: n_outs is empty")
        rng = np.random.default_rng(rng)
        sizes = [n_in, *n_outs]
        self.nonlin = nonlin
        last = len(n_outs) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=nonlin if i < last else False, rng=rng)
            for i in range(len(n_outs))
        ]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """x: (n_in,) numbers or Values -> one Value, or (n_outs[-1],) Values if that is > 1."""
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        """Every weight and bias, layer by layer, neuron by neuron."""
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        sizes = [self.layers[0].n_in] + [len(layer.neurons) for layer in self.layers]
        return f"MLP({sizes[0]}, {sizes[1:]}, nonlin={self.nonlin!r})"
