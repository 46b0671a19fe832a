"""The layers: ``Linear``, ``ReLU`` and ``Sequential``, each with its backward pass.

Each layer states its maths twice, as code in ``bwd`` and as text in ``backward_formulas``
(what ``step_backward_modules`` shows). Weights are stored (n_in, n_out), so that a layer
computes ``x @ weight``; PyTorch stores the transpose.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from . import _checks as _c
from . import functional as F
from . import init
from .module import Module, Parameter, _keep_for_backward

__all__ = ["Linear", "ReLU", "Sequential"]


class Linear(Module):
    """A fully connected layer: x (batch, n_in) -> ``x @ weight + bias`` (batch, n_out).

    Parameters
    ----------
    n_in, n_out : int
        Input and output features per example; ``weight`` is (n_in, n_out), torch's transpose.
    bias : bool, default True
        Add a learnt ``bias`` (n_out,), zero at first; False makes it None.
    rng : int | np.random.Generator | None, default None
        Seed or generator for the Kaiming-normal weights, std = sqrt(2 / n_in).
    dtype : numpy dtype, default np.float32
        The parameters' dtype; inputs must match it.

    Raises
    ------
    ValueError
        If ``n_in`` or ``n_out`` is not a positive integer.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> layer = nn.Linear(3, 2, rng=0)
    >>> layer, layer(np.ones((4, 3), dtype=np.float32)).shape
    (Linear(in=3, out=2, bias=True), (4, 2))
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        bias: bool = True,
        rng: int | np.random.Generator | None = None,
        dtype: npt.DTypeLike = np.float32,
    ) -> None:
        self.n_in, self.n_out = _size(n_in, "n_in"), _size(n_out, "n_out")
        self.weight = Parameter(np.empty((self.n_in, self.n_out), dtype=dtype))
        init.kaiming_normal_(self.weight, rng=rng)
        self.bias = Parameter(np.zeros(self.n_out, dtype=dtype)) if bias else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Linear forward: y = x @ weight + bias, (batch, n_in) -> (batch, n_out)."""
        w = self.weight.data
        if not isinstance(x, np.ndarray) or x.shape[1:] != (self.n_in,) or x.dtype != w.dtype:
            raise _input_error(self, x)
        try:  # x fits, so only a weight or bias of the wrong shape (assigned) can fail
            out = x @ w
            if self.bias is not None:
                out += self.bias.data
        except ValueError as err:
            raise _param_error(self) or err from None
        return out

    def bwd_params(self, grad_out: np.ndarray, x: np.ndarray) -> None:
        """Linear backward: weight.grad += x.T @ grad_out, bias.grad += grad_out.sum(0)."""
        grad_out = _c.reals(grad_out, "Linear.backward", self.weight.data.dtype)
        self.weight.accumulate_grad(x.T @ grad_out)  # one matmul sums the batch's outer products
        if self.bias is not None:
            self.bias.accumulate_grad(np.add.reduce(grad_out, axis=0))  # .sum(0), no wrapper

    def bwd(self, grad_out: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Linear backward: the parameters' grads (bwd_params), grad_x = grad_out @ weight.T."""
        self.bwd_params(grad_out, x)
        return _c.reals(grad_out, "Linear.backward", self.weight.data.dtype) @ self.weight.data.T

    def backward_formulas(self, grad_out: np.ndarray, x: np.ndarray) -> list[tuple[str, str]]:
        """The formulas of bwd, with the operands' shapes."""
        g = np.shape(grad_out)
        found = [
            ("grad_in = grad_out @ weight.T", f"{g} @ {self.weight.shape[::-1]}"),
            ("weight.grad += x.T @ grad_out", f"{x.shape[::-1]} @ {g}"),
            ("bias.grad += grad_out.sum(0)", f"{g}.sum(0)"),
        ]
        return found if self.bias is not None else found[:2]

    def extra_repr(self) -> str:
        """Sizes and bias: in=3, out=2, bias=True."""
        return f"in={self.n_in}, out={self.n_out}, bias={self.bias is not None}"


def _size(n, name: str) -> int:
    """n_in or n_out as an int, or the ValueError saying it must be a positive integer."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"Linear: {name} must be a positive integer; got {n!r}.")
    return int(n)


def _param_error(layer: Linear) -> Exception | None:
    """The error naming a weight or bias whose shape does not fit the layer's sizes, or None."""
    me, sizes, w = f"Linear({layer.n_in}, {layer.n_out})", (layer.n_in, layer.n_out), layer.weight
    if w.shape != sizes:
        transposed = w.shape == sizes[::-1]
        return ValueError(
            f"{me}: weight has shape {w.shape}; it must be (n_in, n_out) = {sizes}."
            + (" PyTorch stores the transpose (out, in): assign its .T." if transposed else "")
        )
    if layer.bias is not None and layer.bias.shape != (layer.n_out,):
        return ValueError(
            f"{me}: bias has shape {layer.bias.shape}; it must be (n_out,) = ({layer.n_out},)."
        )
    return None


def _input_error(layer: Linear, x) -> Exception:
    """The error that says what is wrong with the input x of a Linear layer."""
    me, dtype = f"Linear({layer.n_in}, {layer.n_out})", layer.weight.dtype
    if not isinstance(x, np.ndarray):
        return TypeError(
            f"{me} expects a numpy array of shape (batch, {layer.n_in}); got {type(x).__name__}."
        )
    if x.dtype.kind in "biu":
        return TypeError(
            f"{me} expects floating-point features; got integer features (dtype {x.dtype}). "
            f"Convert them first, e.g. x.astype(np.{dtype}) / 255."
        )
    if x.dtype.kind != "f":
        return TypeError(f"{me} expects floating-point features x; got dtype {x.dtype}.")
    bad = _param_error(layer)  # a weight assigned in the wrong shape, x maybe made to fit it
    if bad is not None:
        return bad
    if x.ndim == 1:
        return ValueError(
            f"{me} expects a batch of shape (batch, {layer.n_in}); got a 1-D array of shape "
            f"{x.shape}. For a single example use x[None, :]."
        )
    if x.ndim != 2 or x.shape[1] != layer.n_in:
        return ValueError(
            f"{me} expects input of shape (batch, {layer.n_in}); got shape {x.shape}."
        )
    return TypeError(
        f"{me} has {dtype} weights but got {x.dtype} input. Convert the input "
        f"(x.astype(np.{dtype})) or build the layer with dtype=np.{x.dtype}."
    )


class ReLU(Module):
    """``max(x, 0)`` elementwise: any shape -> the same shape.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> relu = nn.ReLU()
    >>> relu(np.array([-1.0, 0.0, 2.0])), relu.backward(np.array([5.0, 5.0, 5.0]))
    (array([0., 0., 2.]), array([0., 0., 5.]))
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """ReLU forward: y = max(x, 0)."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"ReLU expects a numpy array x; got {type(x).__name__}.")
        return F.relu(x)

    def bwd(self, grad_out: np.ndarray, x: np.ndarray) -> np.ndarray:
        """ReLU backward: grad_x = grad_out * (x > 0)."""
        # 0 at the kink x == 0, PyTorch's convention. Multiplying by the mask is several times
        # faster than np.where, whose cost grows with unpredictable branches (but an infinite
        # grad_out where x <= 0 gives NaN, where torch's gives 0).
        return _c.reals(grad_out, "ReLU.backward", x.dtype) * ~(x <= 0)  # NaN x passes, as torch

    def backward_formulas(self, grad_out: np.ndarray, x: np.ndarray) -> list[tuple[str, str]]:
        """The formula of bwd, with the operands' shapes."""
        return [("grad_in = grad_out * (x > 0)", f"{np.shape(grad_out)} * {np.shape(x)}")]


class Sequential(Module):
    """Modules applied one after another; ``backward`` goes through them last first.

    Indexable like a list: ``model[0].weight``, ``len(model)``, ``for layer in model``.

    Parameters
    ----------
    *modules : Module
        The layers, in the order they are applied.

    Raises
    ------
    TypeError
        If an argument is not a ``Module`` instance (e.g. the class ``nn.ReLU`` itself, or a
        list of modules).

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1))
    >>> y = model(np.ones((5, 4), dtype=np.float32))
    >>> y.shape, model.backward(np.ones_like(y)).shape, model[0].weight.shape
    ((5, 3), (5, 4), (4, 8))
    """

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(_not_a_module(i, m))
        self.layers = list(modules)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The layers, named by position: ("0", layer0), ("1", layer1), ..."""
        for i, m in enumerate(self.layers):
            yield str(i), m

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Sequential forward: x through each layer's forward in turn, keeping each one's input."""
        # The layers' forward and bwd are called directly, their inputs kept here (one list per
        # call, by Module's rule for calls), not by each layer's own call: ~1.5 µs less a layer.
        inputs = []
        for m in self.layers:
            inputs.append(x)
            x = m.forward(x)
        _keep_for_backward(self.__dict__, "_saved_inputs", inputs)  # Module's rule for calls
        return x

    def bwd(self, grad_out: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Sequential backward: each layer's bwd on the input it had, last first."""
        inputs = self._saved_inputs.pop()
        for i in range(len(self.layers) - 1, -1, -1):
            grad_out = self.layers[i].bwd(grad_out, inputs[i])
        return grad_out

    def bwd_params(self, grad_out: np.ndarray, x: np.ndarray) -> None:
        """As bwd, but the first layer skips its grad_x (bwd_params)."""
        inputs = self._saved_inputs.pop()
        for i in range(len(self.layers) - 1, 0, -1):
            grad_out = self.layers[i].bwd(grad_out, inputs[i])
        if self.layers:
            self.layers[0].bwd_params(grad_out, inputs[0])

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)


def _not_a_module(i: int, m: object) -> str:
    """What to say when Sequential's argument i is not a Module."""
    if isinstance(m, (list, tuple)):
        return (
            f"Sequential takes the modules as separate arguments; argument {i} is a "
            f"{type(m).__name__}. Unpack it: nn.Sequential(*layers)."
        )
    return (
        f"Sequential takes Modules; argument {i} is a {type(m).__name__}. "
        "Pass an instance, e.g. nn.ReLU() rather than nn.ReLU."
    )
