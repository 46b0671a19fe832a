"""Networks of scalar neurons built from `Value`s: `Neuron`, `Layer`, `MLP`.

Shapes are list lengths: a Neuron maps n_in numbers to one Value, a Layer maps n_in to n_out,
an MLP chains Layers. Weights start uniform in [-1, 1) and biases at 0, as in micrograd; pass
`rng` (a seed or a numpy Generator) to make the start reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .engine import Value

ACTIVATIONS = ("relu", "tanh")


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def _as_values(x: Sequence[Value | float], n_in: int, who: str) -> list[Value]:
    """The inputs as Values (numbers become leaf Values once, shared by every neuron)."""
    if len(x) != n_in:
        raise ValueError(f"{who} expects {n_in} inputs, got {len(x)}")
    return [xi if isinstance(xi, Value) else Value(xi) for xi in x]


class Module:
    """What Neuron, Layer and MLP share: a list of parameters, and clearing their gradients."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0.0 (gradients accumulate until you do)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """out = activation(w . x + b), with w: (n_in,) and b a scalar; linear if nonlin=False.

    `activation="relu"` is micrograd's neuron, `"tanh"` the one in Karpathy's lecture.
    """

    def __init__(
        self,
        n_in: int,
        nonlin: bool = True,
        rng: int | np.random.Generator | None = None,
        activation: str = "relu",
    ) -> None:
        _check_activation(activation)
        if n_in < 1:
            raise ValueError(f"a Neuron needs at least one input, got n_in={n_in}")
        rng = np.random.default_rng(rng)
        self.w = [Value(float(wi)) for wi in rng.uniform(-1.0, 1.0, n_in)]
        self.b = Value(0.0)
        self.nonlin = nonlin
        self.activation = activation

    def __call__(self, x: Sequence[Value | float]) -> Value:
        """x: (n_in,) numbers or Values -> one Value."""
        x = _as_values(x, len(self.w), "Neuron")
        act = self.b
        for wi, xi in zip(self.w, x, strict=True):
            act = act + wi * xi
        if not self.nonlin:
            return act
        return act.relu() if self.activation == "relu" else act.tanh()

    def parameters(self) -> list[Value]:
        """The weights, then the bias."""
        return [*self.w, self.b]

    def __repr__(self) -> str:
        kind = self.activation if self.nonlin else "linear"
        return f"Neuron({len(self.w)}, {kind})"


class Layer(Module):
    """n_out independent neurons on the same inputs: x: (n_in,) -> list of n_out Values."""

    def __init__(
        self,
        n_in: int,
        n_out: int,
        nonlin: bool = True,
        rng: int | np.random.Generator | None = None,
        activation: str = "relu",
    ) -> None:
        if n_out < 1:
            raise ValueError(f"a Layer needs at least one neuron, got n_out={n_out}")
        rng = np.random.default_rng(rng)  # one generator, so each neuron gets new weights
        self.n_in = n_in
        self.neurons = [Neuron(n_in, nonlin, rng, activation) for _ in range(n_out)]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        """x: (n_in,) numbers or Values -> (n_out,) Values (always a list, even of one)."""
        x = _as_values(x, self.n_in, "Layer")
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        """Each neuron's parameters (weights, then bias), neuron by neuron."""
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer({self.n_in}, {len(self.neurons)}, [{', '.join(map(repr, self.neurons))}])"


class MLP(Module):
    """A multi-layer perceptron: n_in -> n_outs[0] -> ... -> n_outs[-1].

    Every layer but the last applies the activation ("relu" or "tanh"); the last is linear,
    so the outputs can be any real number (scores, regression targets).
    """

    def __init__(
        self,
        n_in: int,
        n_outs: Sequence[int],
        rng: int | np.random.Generator | None = None,
        activation: str = "relu",
    ) -> None:
        _check_activation(activation)
        if len(n_outs) == 0:
            raise ValueError("an MLP needs at least one layer: n_outs is empty")
        rng = np.random.default_rng(rng)
        sizes = [n_in, *n_outs]
        self.activation = activation
        self.layers = [
            Layer(
                sizes[i], sizes[i + 1], nonlin=i < len(n_outs) - 1, rng=rng, activation=activation
            )
            for i in range(len(n_outs))
        ]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """x: (n_in,) numbers or Values -> one Value if the last layer has one neuron,
        else a list of n_outs[-1] Values."""
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        """Layer by layer, each neuron's weights then its bias."""
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        sizes = [self.layers[0].n_in] + [len(layer.neurons) for layer in self.layers]
        return f"MLP({sizes[0]}, {sizes[1:]}, activation={self.activation!r})"
