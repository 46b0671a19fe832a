"""The layers: ``Linear``, ``ReLU`` and ``Sequential``, each with its backward pass."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["Linear", "ReLU", "Sequential"]


class Linear(Module):
    """A fully connected layer: x (batch, n_in) -> ``x @ weight + bias`` (batch, n_out).

    ``weight`` (n_in, n_out) is Kaiming-normal: N(0, std**2) with std = sqrt(2 / n_in), which
    suits a following ReLU (``init.kaiming_normal_``); ``bias`` (n_out,) starts at zero (as in
    lesson 13; PyTorch draws it uniformly).

    Parameters
    ----------
    n_in : int
        Input features per example.
    n_out : int
        Output features per example.
    bias : bool, default True
        Add a learnt bias; False gives ``x @ weight`` and ``self.bias = None``.
    rng : int | np.random.Generator | None, default None
        A seed or generator for the initial weights (None: fresh entropy).
    dtype : numpy dtype, default np.float32
        The parameters' dtype, float32 by default as in PyTorch; inputs must match it.

    Attributes
    ----------
    weight : Parameter of shape (n_in, n_out)
        The weights, stored so that the layer computes ``x @ weight`` (PyTorch stores the
        transpose).
    bias : Parameter of shape (n_out,), or None
        The bias, added to every row.

    Raises
    ------
    ValueError
        If ``n_in`` or ``n_out`` is not a positive integer.

    Notes
    -----
    The backward pass, for ``grad_out`` = dL/dy of shape (batch, n_out):

    ```python
    dL/dweight = x.T @ grad_out       # (n_in, n_out): one matmul, which sums over the batch
                                      # and equals np.einsum('bi,bj->ij', x, grad_out)
    dL/dbias   = grad_out.sum(0)      # (n_out,)
    dL/dx      = grad_out @ weight.T  # (batch, n_in)
    ```

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> layer = nn.Linear(3, 2, rng=0)
    >>> layer
    Linear(in=3, out=2, bias=True)
    >>> x = np.arange(12, dtype=np.float32).reshape(4, 3)
    >>> y = layer(x)
    >>> print(y.shape, y.dtype)
    (4, 2) float32
    >>> grad_out = np.ones_like(y)
    >>> print(layer.backward(grad_out).shape)
    (4, 3)
    >>> bool(np.allclose(layer.weight.grad, np.einsum("bi,bj->ij", x, grad_out)))
    True
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
        for name, n in (("n_in", n_in), ("n_out", n_out)):
            if not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"Linear: {name} must be a positive integer; got {n!r}.")
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.weight = Parameter(np.empty((self.n_in, self.n_out), dtype=dtype))
        init.kaiming_normal_(self.weight, rng=rng)
        self.bias = Parameter(np.zeros(self.n_out, dtype=dtype)) if bias else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (batch, n_in) -> ``x @ weight + bias`` (batch, n_out).

        Parameters
        ----------
        x : np.ndarray of shape (batch, n_in)
            A batch of features, in the weights' dtype.

        Returns
        -------
        np.ndarray of shape (batch, n_out)
            The layer's output, in the weights' dtype.

        Raises
        ------
        TypeError
            If ``x`` is not a numpy array, is not floating point, or its dtype differs from
            the weights'.
        ValueError
            If ``x`` is not 2-D or does not have ``n_in`` columns.
        """
        w = self.weight.data
        if (
            not isinstance(x, np.ndarray)
            or x.ndim != 2
            or x.shape[1] != self.n_in
            or x.dtype != w.dtype
        ):
            self._reject(x)
        out = x @ w
        if self.bias is not None:
            out += self.bias.data
        return out

    def _reject(self, x) -> None:
        """Raise the error that says what is wrong with the input `x`."""
        me = f"Linear({self.n_in}, {self.n_out})"
        if not isinstance(x, np.ndarray):
            raise TypeError(
                f"{me} expects a numpy array of shape (batch, {self.n_in}); got {type(x).__name__}."
            )
        if x.dtype.kind != "f":
            raise TypeError(
                f"{me} expects floating-point features; got integer features (dtype {x.dtype}). "
                f"Convert them first, e.g. x.astype(np.{self.weight.dtype}) / 255."
            )
        if x.ndim == 1:
            raise ValueError(
                f"{me} expects a batch of shape (batch, {self.n_in}); got a 1-D array of shape "
                f"{x.shape}. For a single example use x[None, :]."
            )
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(
                f"{me} expects input of shape (batch, {self.n_in}); got shape {x.shape}."
            )
        raise TypeError(
            f"{me} has {self.weight.dtype} weights but got {x.dtype} input. Convert the input "
            f"(x.astype(np.{self.weight.dtype})) or build the layer with dtype=np.{x.dtype}."
        )

    def bwd_params(self, grad_out: np.ndarray, x: np.ndarray) -> None:
        """Add ``x.T @ grad_out`` into ``weight.grad`` and ``grad_out.sum(0)`` into ``bias.grad``.

        Parameters
        ----------
        grad_out : np.ndarray of shape (batch, n_out)
            dL/dy.
        x : np.ndarray of shape (batch, n_in)
            The input of the call being back-propagated.
        """
        self.weight.accumulate_grad(x.T @ grad_out)
        if self.bias is not None:
            self.bias.accumulate_grad(grad_out.sum(axis=0))

    def bwd(self, grad_out: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Fill the parameters' gradients (``bwd_params``) and return ``grad_out @ weight.T``.

        Parameters
        ----------
        grad_out : np.ndarray of shape (batch, n_out)
            dL/dy.
        x : np.ndarray of shape (batch, n_in)
            The input of the call being back-propagated.

        Returns
        -------
        np.ndarray of shape (batch, n_in)
            dL/dx.
        """
        self.bwd_params(grad_out, x)
        return grad_out @ self.weight.data.T

    def backward_formulas(self, grad_out: np.ndarray, x: np.ndarray) -> list[tuple[str, str]]:
        """``bwd``'s formulas (dL/dx, then weight's and bias's), with the operands' shapes.

        Parameters
        ----------
        grad_out : np.ndarray of shape (batch, n_out)
            dL/dy.
        x : np.ndarray of shape (batch, n_in)
            The input of the call being back-propagated.

        Returns
        -------
        list of (str, str)
            ``(formula, the same with the operands' shapes)``, as ``Module.backward_formulas``.
        """
        g = np.shape(grad_out)
        found = [
            ("grad_in = grad_out @ weight.T", f"{g} @ {self.weight.shape[::-1]}"),
            ("weight.grad += x.T @ grad_out", f"{x.shape[::-1]} @ {g}"),
        ]
        if self.bias is not None:
            found.append(("bias.grad += grad_out.sum(0)", f"{g}.sum(0)"))
        return found

    def extra_repr(self) -> str:
        """The layer's sizes and whether it has a bias, e.g. ``in=3, out=2, bias=True``.

        Returns
        -------
        str
            The text inside ``Linear(...)``.
        """
        return f"in={self.n_in}, out={self.n_out}, bias={self.bias is not None}"


class ReLU(Module):
    """``max(x, 0)`` elementwise: any shape -> the same shape. Gradient: 1 where x > 0, else 0.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> relu = nn.ReLU()
    >>> print(relu(np.array([-1.0, 0.0, 2.0])))
    [0. 0. 2.]
    >>> print(relu.backward(np.array([5.0, 5.0, 5.0])))
    [0. 0. 5.]
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``F.relu(x)``: any shape -> the same shape.

        Parameters
        ----------
        x : np.ndarray, any shape
            Floating-point input.

        Returns
        -------
        np.ndarray, shape of ``x``
            ``max(x, 0)``, in ``x``'s dtype.

        Raises
        ------
        TypeError
            If ``x`` is not floating point.
        """
        return F.relu(x)

    def bwd(self, grad_out: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``grad_out`` where ``x > 0``, else 0 (0 at the kink ``x == 0``, as in PyTorch).

        Parameters
        ----------
        grad_out : np.ndarray, shape of ``x``
            dL/dy.
        x : np.ndarray, any shape
            The input of the call being back-propagated.

        Returns
        -------
        np.ndarray, shape of ``x``
            dL/dx.
        """
        # The gradient at the kink x == 0 is 0, PyTorch's convention. Multiplying by the mask
        # is several times faster than np.where, whose cost grows with unpredictable branches.
        return grad_out * (x > 0)

    def backward_formulas(self, grad_out: np.ndarray, x: np.ndarray) -> list[tuple[str, str]]:
        """``bwd``'s formula, with the operands' shapes.

        Parameters
        ----------
        grad_out : np.ndarray, shape of ``x``
            dL/dy.
        x : np.ndarray, any shape
            The input of the call being back-propagated.

        Returns
        -------
        list of (str, str)
            ``(formula, the same with the operands' shapes)``, as ``Module.backward_formulas``.
        """
        return [("grad_in = grad_out * (x > 0)", f"{np.shape(grad_out)} * {np.shape(x)}")]


class Sequential(Module):
    """Modules applied one after another; backward goes through them in reverse order.

    Indexable like a list: ``model[0].weight``, ``len(model)``, ``for layer in model``.
    Each layer keeps its own input when called, so ``backward`` asks each layer, last first,
    to go back through its part.

    Parameters
    ----------
    *modules : Module
        The layers, in the order they are applied.

    Raises
    ------
    TypeError
        If an argument is not a ``Module`` instance (e.g. the class ``nn.ReLU`` itself).

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1))
    >>> model
    Sequential(
      (0): Linear(in=4, out=8, bias=True)
      (1): ReLU()
      (2): Linear(in=8, out=3, bias=True)
    )
    >>> x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    >>> print(model(x).shape)
    (5, 3)
    >>> print(model.backward(np.ones((5, 3), dtype=np.float32)).shape)
    (5, 4)
    >>> print(len(model), model[0].weight.shape)
    3 (4, 8)
    """

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(
                    f"Sequential takes Modules; argument {i} is a {type(m).__name__}. "
                    "Pass an instance, e.g. nn.ReLU() rather than nn.ReLU."
                )
        self.layers = list(modules)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The layers, named by their position: ``("0", layer0)``, ``("1", layer1)``, ...

        Returns
        -------
        Iterator[tuple[str, Module]]
            ``(index as a string, layer)`` pairs.
        """
        for i, m in enumerate(self.layers):
            yield str(i), m

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Call each layer on the previous one's output: x -> ``layers[-1](...layers[0](x))``.

        Parameters
        ----------
        x : np.ndarray
            The first layer's input, e.g. shape (batch, n_in).

        Returns
        -------
        np.ndarray
            The last layer's output, e.g. shape (batch, n_out).
        """
        for m in self.layers:
            x = m(x)
        return x

    def bwd(self, grad_out: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Call each layer's ``backward``, last layer first, and return dL/dx.

        Parameters
        ----------
        grad_out : np.ndarray
            dL/doutput, the last layer's output shape.
        x : np.ndarray
            The input of the call (unused: each layer kept its own input).

        Returns
        -------
        np.ndarray, shape of ``x``
            dL/dx.
        """
        for m in reversed(self.layers):
            grad_out = m.backward(grad_out)
        return grad_out

    def bwd_params(self, grad_out: np.ndarray, x: np.ndarray) -> None:
        """Like ``bwd``, but the first layer skips dL/dx (``backward(..., input_grad=False)``).

        Parameters
        ----------
        grad_out : np.ndarray
            dL/doutput, the last layer's output shape.
        x : np.ndarray
            The input of the call (unused: each layer kept its own input).
        """
        if not self.layers:
            return
        for m in reversed(self.layers[1:]):
            grad_out = m.backward(grad_out)
        self.layers[0].backward(grad_out, input_grad=False)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)
