"""Layers with hand-written backward passes: ``Parameter``, ``Module`` and the modules built on it.

A module is called like a function (``y = layer(x)``); the call runs ``forward`` and keeps the
inputs, so that ``layer.backward(grad_out)`` can return dL/dinput and add dL/dparameter into
each parameter's ``.grad``. Gradients accumulate, as in PyTorch, until ``zero_grad()``.

To write a module, subclass ``Module`` and implement two methods:

```python
forward(*inputs) -> output
bwd(grad_out, *inputs) -> grad of the loss with respect to the first input
```

``bwd`` receives the inputs that ``forward`` saw, so most modules need to store nothing else.
A module with parameters may also override ``bwd_params(grad_out, *inputs)``, which fills the
parameters' gradients without computing dL/dinput: ``backward(grad_out, input_grad=False)``
uses it to skip the first layer's most expensive and unused product, as PyTorch does.

``step_backward_modules(model, loss_fn, x, target)`` shows that backward pass one module at a
time, with each module's formulas and the shapes of the gradients, as data and as a player.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from . import functional as F
from . import init
from ._player import new_id, player_html, save_page

__all__ = [
    "CrossEntropyLoss",
    "Linear",
    "Loss",
    "MSELoss",
    "Module",
    "ModuleBackwardPlayer",
    "ModuleStep",
    "Parameter",
    "ReLU",
    "Sequential",
    "step_backward_modules",
]


class Parameter:
    """A trainable array and its gradient: ``.data`` and ``.grad`` have the same shape and dtype.

    ``.grad`` starts at zero and backward passes *add* into it (as PyTorch does), so call
    ``zero_grad()`` (usually via the optimiser) after each step.

    Parameters
    ----------
    data : np.ndarray, any shape
        The initial values, floating point. Kept as it is (not copied): ``.data`` is this
        array.

    Attributes
    ----------
    data : np.ndarray
        The values, which an optimiser changes in place.
    grad : np.ndarray, shape of ``data``
        The accumulated gradient of the loss with respect to ``data``, in its dtype.

    Raises
    ------
    TypeError
        If ``data`` is not floating point.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> p = nn.Parameter(np.zeros((2, 3), dtype=np.float32))
    >>> p
    Parameter(shape=(2, 3), dtype=float32)
    >>> p.grad += 1.0
    >>> p.zero_grad()
    >>> print(p.grad.sum())
    0.0
    """

    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray) -> None:
        data = np.asarray(data)
        if data.dtype.kind != "f":
            raise TypeError(
                f"Parameter needs a floating-point array; got dtype {data.dtype}. "
                "Convert it first, e.g. data.astype(np.float32)."
            )
        self.data = data
        self.grad = np.zeros_like(data)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``.data`` (and of ``.grad``).

        Returns
        -------
        tuple of int
            ``data.shape``.
        """
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """The dtype of ``.data`` (and of ``.grad``).

        Returns
        -------
        np.dtype
            ``data.dtype``.
        """
        return self.data.dtype

    def zero_grad(self) -> None:
        """Set ``.grad`` to zero in place (optimisers and callers may hold a reference to it)."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: ``__call__`` runs ``forward`` and saves its inputs for one ``backward``.

    Subclasses implement ``forward(*inputs)`` and ``bwd(grad_out, *inputs)``, and may override
    ``bwd_params`` to skip computing the input's gradient. Parameters and sub-modules are found
    by looking at the attributes, in the order they were assigned, so a subclass needs no
    registration: assigning ``self.weight = Parameter(...)`` or ``self.layer = Linear(...)``
    is enough.

    Examples
    --------
    A module squaring its input, with its local derivative ``2 x``:

    >>> import numpy as np
    >>> from pybackprop import nn
    >>> class Square(nn.Module):
    ...     def forward(self, x):
    ...         return x * x
    ...     def bwd(self, grad_out, x):
    ...         return grad_out * 2 * x
    >>> sq = Square()
    >>> print(sq(np.array([1.0, -3.0])))
    [1. 9.]
    >>> print(sq.backward(np.ones(2)))
    [ 2. -6.]
    """

    _inputs: tuple | None = None
    _out_shape: tuple[int, ...] | None = None

    def __call__(self, *inputs: np.ndarray) -> np.ndarray:
        out = self.forward(*inputs)
        self._inputs, self._out_shape = inputs, getattr(out, "shape", None)
        return out

    def forward(self, *inputs: np.ndarray) -> np.ndarray:
        """Compute the output from the inputs; subclasses implement it.

        Call the module (``module(*inputs)``) rather than ``forward``: the call also keeps the
        inputs for ``backward``.

        Parameters
        ----------
        *inputs : np.ndarray
            The inputs, first the one whose gradient ``backward`` returns.

        Returns
        -------
        np.ndarray
            The output.

        Raises
        ------
        NotImplementedError
            Always, in the base class.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement forward(*inputs)")

    def bwd(self, grad_out: np.ndarray, *inputs: np.ndarray) -> np.ndarray:
        """The local backward pass; subclasses implement it. Called by ``backward``.

        Adds the loss's gradient with respect to each parameter into its ``.grad`` and returns
        the gradient with respect to the first input.

        Parameters
        ----------
        grad_out : np.ndarray, shape of the output
            dL/doutput, the gradient of the loss with respect to ``forward``'s output.
        *inputs : np.ndarray
            The inputs that ``forward`` received.

        Returns
        -------
        np.ndarray, shape of ``inputs[0]``
            dL/dinput for the first input.

        Raises
        ------
        NotImplementedError
            Always, in the base class.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement bwd(grad_out, *inputs) -> grad_input"
        )

    def bwd_params(self, grad_out: np.ndarray, *inputs: np.ndarray) -> None:
        """Fill the parameters' ``.grad`` only; override to skip computing the input gradient.

        The default calls ``bwd`` and drops its result. ``backward(grad_out,
        input_grad=False)`` calls this instead of ``bwd``.

        Parameters
        ----------
        grad_out : np.ndarray, shape of the output
            dL/doutput.
        *inputs : np.ndarray
            The inputs that ``forward`` received.
        """
        self.bwd(grad_out, *inputs)

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Back-propagate ``grad_out`` (dL/doutput, the output's shape) through the last call.

        Adds dL/dparameter into every parameter's ``.grad`` and returns dL/dinput (the first
        input's shape). ``input_grad=False`` returns None and skips that gradient's cost, as
        PyTorch does for inputs that do not require grad (the data fed to the first layer).
        Each call of the module allows one ``backward``; it then lets go of the inputs.

        Parameters
        ----------
        grad_out : np.ndarray, shape of the output
            dL/doutput, the gradient of the loss with respect to the last call's output.
        input_grad : bool, default True
            Compute and return dL/dinput; False skips it and returns None.

        Returns
        -------
        np.ndarray or None, shape of the first input
            dL/dinput, or None when ``input_grad`` is False.

        Raises
        ------
        RuntimeError
            If the module has not been called since its last ``backward``.
        ValueError
            If ``grad_out``'s shape is not the last output's shape.

        Examples
        --------
        >>> import numpy as np
        >>> from pybackprop import nn
        >>> layer = nn.Linear(3, 2, rng=0)
        >>> y = layer(np.ones((4, 3), dtype=np.float32))
        >>> print(layer.backward(np.ones_like(y)).shape)
        (4, 3)
        >>> print(layer.weight.grad)
        [[4. 4.]
         [4. 4.]
         [4. 4.]]
        """
        inputs = self._inputs
        if inputs is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() called without a forward pass to go back "
                "through: call the module on a batch first (backward can run once per call)."
            )
        if self._out_shape is not None and getattr(grad_out, "shape", ()) != self._out_shape:
            raise ValueError(
                f"{type(self).__name__}.backward: grad_out must have the output's shape "
                f"{self._out_shape}; got shape {np.shape(grad_out)}."
            )
        self._inputs = None  # one backward per forward, and the batch can be freed
        if input_grad:
            return self.bwd(grad_out, *inputs)
        self.bwd_params(grad_out, *inputs)
        return None

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Sub-modules held as attributes (or in list/tuple attributes), in assignment order.

        Returns
        -------
        Iterator[tuple[str, Module]]
            ``(name, sub-module)`` pairs; the name is the attribute's (``"name.i"`` for item
            ``i`` of a list).
        """
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """(name, Parameter) pairs such as ("0.weight", ...), recursive, without duplicates.

        A module's own parameters come first, then each sub-module's, prefixed with its name;
        a parameter shared by two modules is yielded once, under its first name.

        Returns
        -------
        Iterator[tuple[str, Parameter]]
            ``(dotted name, parameter)`` pairs.

        Examples
        --------
        >>> from pybackprop import nn
        >>> model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1))
        >>> [name for name, _ in model.named_parameters()]
        ['0.weight', '0.bias', '2.weight', '2.bias']
        """
        seen: set[int] = set()
        for name, p in self._named_parameters_all(""):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _named_parameters_all(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        children = dict(self.named_children())
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in children.items():
            yield from child._named_parameters_all(f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        """Every Parameter of this module and its sub-modules, in definition order, once each.

        Returns
        -------
        list of Parameter
            The order of ``named_parameters``; what an optimiser takes.
        """
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to zero (gradients accumulate until then)."""
        for p in self.parameters():
            p.zero_grad()

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr; override to show settings.

        Returns
        -------
        str
            Empty in the base class.
        """
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        return "\n".join(lines) + "\n)"


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
        self.weight.grad += x.T @ grad_out
        if self.bias is not None:
            self.bias.grad += grad_out.sum(axis=0)

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


_BOOKS_WAY = (
    "a loss module returns a plain number, not a node of a graph, so it has no "
    ".backward() (PyTorch's loss.backward()). In pybackprop the backward pass starts from "
    "the loss module: grad = loss_fn.backward() gives dL/dpred, and "
    "model.backward(grad) sends it through the model, filling every parameter's .grad. "
    "In one line: model.backward(loss_fn.backward())."
)


def _no_backward(self) -> None:
    raise AttributeError(_BOOKS_WAY)


class _LossFloat64(np.float64):
    """A float64 loss; ``.backward`` raises with the book's way (numpy's own error is bare)."""

    __slots__ = ()
    backward = property(_no_backward)


class _LossFloat32(np.float32):
    """A float32 loss; ``.backward`` raises with the book's way (numpy's own error is bare)."""

    __slots__ = ()
    backward = property(_no_backward)


_LOSS_TYPES = {np.dtype(np.float64): _LossFloat64, np.dtype(np.float32): _LossFloat32}


class Loss(Module):
    """Base for losses: ``loss_fn(pred, target)`` -> scalar; ``loss_fn.backward()`` -> dL/dpred.

    ``backward(grad_out=1.0)``: a loss is usually where the backward pass starts, so the
    upstream gradient defaults to dL/dL = 1. Subclasses implement ``forward(pred, target)``
    and ``bwd(grad_out, pred, target)`` like any module.

    What the call returns is a number (a numpy float scalar, which prints and computes like
    one), not a node of a graph: PyTorch's ``loss.backward()`` does not work on it, and
    raises an ``AttributeError`` that shows the book's way instead,
    ``model.backward(loss_fn.backward())``.

    Examples
    --------
    A mean absolute error, written as a loss module:

    >>> import numpy as np
    >>> from pybackprop import nn
    >>> class L1Loss(nn.Loss):
    ...     def forward(self, pred, target):
    ...         return np.abs(pred - target).mean()
    ...     def bwd(self, grad_out, pred, target):
    ...         return grad_out * np.sign(pred - target) / pred.size
    >>> l1 = L1Loss()
    >>> print(float(l1(np.array([1.0, -1.0]), np.zeros(2))))
    1.0
    >>> print(l1.backward())
    [ 0.5 -0.5]

    The backward pass starts from the loss module, not from the number it returned:

    >>> model = nn.Linear(3, 1, rng=0)
    >>> loss = l1(model(np.ones((2, 3), dtype=np.float32)), np.zeros((2, 1)))
    >>> loss.backward()
    Traceback (most recent call last):
    ...
    AttributeError: a loss module returns a plain number, ... model.backward(loss_fn.backward()).
    >>> _ = model.backward(l1.backward())
    >>> model.weight.grad.shape
    (3, 1)
    """

    def __call__(self, *inputs: np.ndarray) -> np.floating:
        out = super().__call__(*inputs)
        # The same number, as a type whose .backward says what to do instead (PyTorch's habit).
        wrap = _LOSS_TYPES.get(out.dtype) if isinstance(out, np.generic) else None
        return out if wrap is None else wrap(out)

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        """dL/dpred for the last call, scaled by ``grad_out``.

        Parameters
        ----------
        grad_out : float, default 1.0
            The upstream gradient dL/dloss; 1 when this loss is what is minimised.

        Returns
        -------
        np.ndarray, shape of ``pred``
            The gradient with respect to the predictions.

        Raises
        ------
        RuntimeError
            If the loss has not been called since its last ``backward``.
        ValueError
            If ``grad_out`` is an array whose shape is not the loss's (a scalar's, ``()``).
        """
        return super().backward(grad_out)


class MSELoss(Loss):
    """Mean squared error (``F.mse``): pred and target of the same shape -> scalar.

    Its gradient is dL/dpred = ``2 * (pred - target) / pred.size``.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> loss_fn = nn.MSELoss()
    >>> pred, target = np.array([[1.0], [2.0]]), np.array([[0.0], [2.0]])
    >>> print(round(float(loss_fn(pred, target)), 4))
    0.5
    >>> print(loss_fn.backward())
    [[1.]
     [0.]]
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> np.floating:
        """``mean((pred - target) ** 2)``: pred and target of the same shape -> scalar.

        Parameters
        ----------
        pred : np.ndarray, any shape
            Floating-point predictions.
        target : np.ndarray, shape of ``pred``
            The values to predict.

        Returns
        -------
        np.floating
            The loss, in ``pred``'s dtype.

        Raises
        ------
        TypeError
            If ``pred`` is not floating point.
        ValueError
            If ``pred`` and ``target`` have different shapes.
        """
        return F.mse(pred, target)

    def bwd(self, grad_out: float, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """``grad_out * 2 * (pred - target) / pred.size``, in ``pred``'s dtype.

        Parameters
        ----------
        grad_out : float
            dL/dloss.
        pred : np.ndarray, any shape
            The predictions of the call being back-propagated.
        target : np.ndarray, shape of ``pred``
            Its targets.

        Returns
        -------
        np.ndarray, shape of ``pred``
            dL/dpred.
        """
        grad = pred - np.asarray(target, dtype=pred.dtype)
        grad *= 2 * grad_out / grad.size  # in place keeps pred's dtype
        return grad


class CrossEntropyLoss(Loss):
    """Cross-entropy of raw logits (n, c) and integer labels (n,) -> scalar (``F.cross_entropy``).

    Its gradient is dL/dlogits = ``(softmax(logits) - one_hot(target)) / n``, computed without
    building the one-hot matrix: subtract 1 at ``[arange(n), target]``.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn, functional as F
    >>> loss_fn = nn.CrossEntropyLoss()
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.1, 1.0, 0.3]])
    >>> target = np.array([0, 1])
    >>> print(round(float(loss_fn(logits, target)), 4))
    0.4424
    >>> grad = loss_fn.backward()
    >>> bool(np.allclose(grad, (F.softmax(logits) - F.one_hot(target, 3)) / 2))
    True
    """

    def forward(self, logits: np.ndarray, target: np.ndarray) -> np.floating:
        """The mean cross-entropy: logits (n, c) and labels (n,) -> scalar.

        Keeps the log-probabilities for the backward pass.

        Parameters
        ----------
        logits : np.ndarray of shape (n, c)
            Raw scores, float32 or float64, one row per example.
        target : np.ndarray of shape (n,)
            Integer class labels in ``[0, c)``.

        Returns
        -------
        np.floating
            The mean loss, in ``logits``' dtype.

        Raises
        ------
        TypeError
            If ``logits`` is not floating point or ``target`` is not integer.
        ValueError
            If ``logits`` is not 2-D, or a label is out of range, negative or fractional, or
            ``target`` has the wrong length.
        """
        log_probs = F.log_softmax(F._batch(logits, "CrossEntropyLoss"))
        loss = F._nll(log_probs, target, "CrossEntropyLoss")
        self._log_probs = log_probs  # the backward pass needs softmax = exp(log_probs)
        return loss

    def bwd(self, grad_out: float, logits: np.ndarray, target: np.ndarray) -> np.ndarray:
        """``grad_out * (softmax(logits) - one_hot(target)) / n``, reusing the forward's buffer.

        Parameters
        ----------
        grad_out : float
            dL/dloss.
        logits : np.ndarray of shape (n, c)
            The logits of the call being back-propagated.
        target : np.ndarray of shape (n,)
            Its labels.

        Returns
        -------
        np.ndarray of shape (n, c)
            dL/dlogits, in ``logits``' dtype.
        """
        grad = np.exp(self._log_probs, out=self._log_probs)
        self._log_probs = None
        n = len(grad)
        grad[np.arange(n), target] -= 1
        grad *= grad_out / n
        return grad


# --- the backward pass, one module at a time -------------------------------------------------


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare by
class ModuleStep:
    """One module's backward: the gradient coming in, the formulas, the gradients going out.

    Parameters
    ----------
    module : Module
        The module whose ``backward`` runs (the one in the model, not the copy that ran it).
    index : str
        Its place in the model: ``"2"`` for ``model[2]``, ``"1.0"`` inside a nested
        ``Sequential``, ``"loss"`` for the loss module, ``""`` for a model that is one module.
    formulas : tuple of str
        What the backward computes, e.g. ``"grad_in = grad_out @ weight.T"`` and
        ``"weight.grad += x.T @ grad_out"``.
    grad_out : np.ndarray, the module's output shape
        The gradient coming in: dL/doutput (for the loss, dL/dL = 1, shape ``()``).
    grad_in : np.ndarray, the module's first input's shape
        The gradient going out: dL/dinput, which the module before it receives.
    param_grads : dict of str to np.ndarray
        What this step adds to each of the module's parameters' ``.grad``, by attribute name
        (``"weight"``, ``"bias"``); empty for a module without parameters.
    text : str
        The step as one line: the module, the formulas with their shapes, e.g.
        ``grad_in = grad_out @ weight.T: (4, 1) @ (1, 8) → (4, 8)``.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> model = nn.Sequential(nn.Linear(3, 2, rng=0, dtype=np.float64))
    >>> step = nn.step_backward_modules(model, nn.MSELoss(), np.ones((4, 3)), np.zeros((4, 2)))
    >>> step = step.steps[-1]  # the Linear layer, after the loss
    >>> step.formulas[0], step.grad_out.shape, step.grad_in.shape
    ('grad_in = grad_out @ weight.T', (4, 2), (4, 3))
    >>> sorted(step.param_grads)
    ['bias', 'weight']
    """

    module: Module
    index: str
    formulas: tuple[str, ...]
    grad_out: np.ndarray
    grad_in: np.ndarray
    param_grads: dict[str, np.ndarray]
    text: str


def _flat(model: Module, prefix: str = "") -> list[tuple[str, Module]]:
    """The modules a Sequential chains, nested ones opened: ``(index, module)`` in order."""
    if not isinstance(model, Sequential):
        return [(prefix[:-1], model)]
    return [pair for i, m in enumerate(model) for pair in _flat(m, f"{prefix}{i}.")]


def _all_modules(model: Module) -> Iterator[Module]:
    """The model and every module inside it, containers included."""
    yield model
    for _, child in model.named_children():
        yield from _all_modules(child)


def _shape(a) -> str:
    return str(tuple(np.shape(a)))


def _formulas(module: Module, grad_out, inputs: tuple) -> list[tuple[str, str]]:
    """(formula, the same with the operands' shapes) for each thing ``module.bwd`` computes."""
    x, g = inputs[0], grad_out
    if isinstance(module, Linear):
        w = module.weight.data
        found = [
            ("grad_in = grad_out @ weight.T", f"{_shape(g)} @ {_shape(w.T)}"),
            ("weight.grad += x.T @ grad_out", f"{_shape(x.T)} @ {_shape(g)}"),
        ]
        if module.bias is not None:
            found.append(("bias.grad += grad_out.sum(0)", f"{_shape(g)}.sum(0)"))
        return found
    if isinstance(module, ReLU):
        return [("grad_in = grad_out * (x > 0)", f"{_shape(g)} * {_shape(x)}")]
    if isinstance(module, MSELoss):
        return [
            (
                "grad_in = grad_out * 2 * (pred - target) / pred.size",
                f"{_number(g)} * 2 * {_shape(x)} / {np.size(x)}",
            )
        ]
    if isinstance(module, CrossEntropyLoss):
        return [
            (
                "grad_in = grad_out * (softmax(logits) - one_hot(target)) / n",
                f"{_number(g)} * {_shape(x)} / {len(x)}",
            )
        ]
    # A module of the reader's own: its bwd is what runs, whatever its maths.
    args = ", ".join(["grad_out"] + [f"x{i}" if i else "x" for i in range(len(inputs))])
    shapes = ", ".join(_shape(a) for a in (g, *inputs))
    found = [(f"grad_in = {type(module).__name__}.bwd({args})", f"bwd({shapes})")]
    found += [(f"{name}.grad += (from bwd)", "") for name, _ in module.named_parameters()]
    return found


def _number(g) -> str:
    return f"{float(g):.4g}"


def step_backward_modules(
    model: Module, loss_fn: Loss, x: np.ndarray, target: np.ndarray
) -> ModuleBackwardPlayer:
    """The backward pass of ``loss_fn(model(x), target)``, one module at a time.

    The array half's version of ``pybackprop.step_backward``: instead of one node of a graph
    per step, one module per step, in the order ``model.backward(loss_fn.backward())`` runs
    them: the loss first, then the model's layers from the last to the first (a nested
    ``Sequential`` is opened up). Each step names the module, the formulas its backward
    computes, and the shapes of the gradient coming in (dL/doutput) and going out
    (dL/dinput). It runs on a copy of the model and the loss, so no ``.grad`` of the model's
    parameters changes, and neither does what the model kept for its own next ``backward``.
    In Jupyter or the book, a cell ending with it shows a player: the chain of modules, the
    one whose backward runs highlighted, stepped with Previous / Next / Play / Reset or the
    arrow keys and space.

    Parameters
    ----------
    model : Module
        The model, usually a ``Sequential`` such as ``lin -> relu -> lin``.
    loss_fn : Loss
        The loss module, e.g. ``MSELoss()``; called as ``loss_fn(model(x), target)``.
    x : np.ndarray, e.g. of shape (batch, n_in)
        The model's input.
    target : np.ndarray
        What the loss compares the model's output with.

    Returns
    -------
    ModuleBackwardPlayer
        ``.steps`` (a list of ModuleStep, the loss's first), ``.save(path)``, and the player
        when displayed.

    Raises
    ------
    TypeError
        If ``model`` is not a Module or ``loss_fn`` is not a Loss (an instance, e.g.
        ``nn.MSELoss()``). The modules raise their own errors for inputs of the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> model = nn.Sequential(nn.Linear(3, 5, rng=0), nn.ReLU(), nn.Linear(5, 1, rng=1))
    >>> x, y = np.ones((4, 3), dtype=np.float32), np.zeros((4, 1), dtype=np.float32)
    >>> player = nn.step_backward_modules(model, nn.MSELoss(), x, y)
    >>> for step in player.steps:
    ...     print(step.index, type(step.module).__name__, step.grad_out.shape, step.grad_in.shape)
    loss MSELoss () (4, 1)
    2 Linear (4, 1) (4, 5)
    1 ReLU (4, 5) (4, 5)
    0 Linear (4, 5) (4, 3)
    >>> float(np.abs(model[0].weight.grad).max())  # untouched
    0.0
    """
    if not isinstance(model, Module):
        raise TypeError(
            f"step_backward_modules needs the model as a Module (e.g. nn.Sequential(...)); "
            f"got {type(model).__name__}."
        )
    if not isinstance(loss_fn, Loss):
        raise TypeError(
            f"step_backward_modules needs loss_fn as a Loss instance such as nn.MSELoss(); "
            f"got {loss_fn!r}."
        )
    originals = _flat(model) + [("loss", loss_fn)]
    # Copy the parameters, not the arrays a previous forward pass kept for its backward.
    memo: dict[int, object] = {}
    for m in [*_all_modules(model), loss_fn]:
        for name in ("_inputs", "_log_probs"):
            kept = vars(m).get(name)
            if kept is not None:
                memo[id(kept)] = None
    model_copy, loss_copy = copy.deepcopy((model, loss_fn), memo)
    model_copy.zero_grad()
    copies = _flat(model_copy) + [("loss", loss_copy)]
    loss = loss_copy(model_copy(x), target)

    steps = []
    grad_out = np.asarray(1.0, dtype=np.result_type(loss))
    for (index, module), (_, work) in zip(reversed(originals), reversed(copies), strict=True):
        inputs = work._inputs
        params = list(work.named_parameters())
        before = [p.grad.copy() for _, p in params]
        formulas = _formulas(work, grad_out, inputs)
        grad_in = work.backward(grad_out)
        param_grads = {name: p.grad - b for (name, p), b in zip(params, before, strict=True)}
        results = [grad_in] + list(param_grads.values())
        clauses = [
            f"{formula}: {shapes} → {_shape(result)}" if shapes else formula
            for (formula, shapes), result in zip(formulas, results, strict=True)
        ]
        where = " (the loss)" if index == "loss" else f" [{index}]" if index else ""
        text = (
            f"{_one_line(module)}{where} runs backward. In: grad_out {_shape(grad_out)}. "
            + "; ".join(clauses)
            + f". Out: grad_in {_shape(grad_in)}."
        )
        step = ModuleStep(
            module, index, tuple(f for f, _ in formulas), grad_out, grad_in, param_grads, text
        )
        steps.append(step)
        grad_out = grad_in
    return ModuleBackwardPlayer(steps, float(loss), _shape(target))


def _one_line(module: Module) -> str:
    """The module's repr if it fits on one line, else its class name."""
    text = repr(module)
    return text if "\n" not in text else type(module).__name__


class ModuleBackwardPlayer:
    """The steps of a backward pass through modules, shown as a player in Jupyter and the book.

    Made by ``step_backward_modules``. Displaying it (a cell that ends with it) shows the
    chain of modules, input at the top and loss at the bottom, with the forward shapes on
    the left and the gradients on the right; each step highlights the module whose backward
    runs and fills in the gradients it computes. ``save`` writes the same player as a page.

    Parameters
    ----------
    steps : list of ModuleStep
        The steps, the loss's first, then the layers from the last to the first.
    loss : float
        The loss's value.
    target_shape : str
        The target's shape as text, e.g. ``"(64, 1)"``.

    Attributes
    ----------
    steps : list of ModuleStep
        One per module.
    loss : float
        The loss's value.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU())
    >>> x, y = np.ones((4, 2), dtype=np.float32), np.zeros((4, 3), dtype=np.float32)
    >>> player = nn.step_backward_modules(model, nn.MSELoss(), x, y)
    >>> len(player.steps), "Next" in player._repr_html_()
    (3, True)
    """

    def __init__(self, steps: list[ModuleStep], loss: float, target_shape: str) -> None:
        self.steps = steps
        self.loss = loss
        self.target_shape = target_shape

    def __repr__(self) -> str:
        return f"<backward pass through {len(self.steps)} modules, loss {self.loss:.4g}>"

    def _repr_html_(self) -> str:
        return _modules_player_html(self)

    def save(self, path: str | Path) -> Path:
        """Write the player as a standalone HTML page (no network needed to open it).

        Parameters
        ----------
        path : str or Path
            Where to write the page, e.g. ``"backward.html"``.

        Returns
        -------
        Path
            The path written.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import numpy as np
        >>> from pybackprop import nn
        >>> player = nn.step_backward_modules(
        ...     nn.Linear(2, 1, rng=0), nn.MSELoss(), np.ones((3, 2), np.float32),
        ...     np.zeros((3, 1), np.float32))
        >>> page = player.save(pathlib.Path(tempfile.mkdtemp()) / "modules.html")
        >>> page.read_text().startswith("<!DOCTYPE html>")
        True
        """
        return save_page(path, "Backward pass through the modules", _modules_player_html(self))


# The drawing: one row per module, the input above and the loss below; forward arrows (down)
# on the left carry the activations' shapes, backward arrows (up) on the right the gradients'.
_FONT, _CHAR, _LINE, _GAP, _ARROW_DX = 14, 8.6, 20, 60, 22


def _modules_svg(player: ModuleBackwardPlayer, pid: str, start: dict[str, str]) -> str:
    steps = player.steps[::-1]  # first module first
    rows = [[f"input x {_shape(steps[0].grad_in)}"]]
    for r, step in enumerate(steps, start=1):
        where = f"[{step.index}] " if step.index not in ("", "loss") else ""
        second = start.get(f"p{r}")
        if step.index == "loss":
            second = f"with target {player.target_shape}"
        rows.append([where + _one_line(step.module)] + ([second] if second else []))
    rows.append([f"loss = {player.loss:.4g}"])
    # Gap g lies below row g: the activation's shape going down, its gradient coming up.
    shapes = [_shape(s.grad_in) for s in steps] + ["()"]
    widest_box = max(len(line) for row in rows for line in row) * _CHAR + 24
    grads = [text for name, text in start.items() if name.startswith("g")]
    widest_label = max(len(t) for t in [*shapes, *grads, "backward ↑"]) * _CHAR
    half = max(widest_box / 2, _ARROW_DX + 10 + widest_label) + 8
    width, cx = 2 * half, half
    parts, y = [], 30.0
    parts.append(
        f'<text x="{cx - _ARROW_DX - 8:.0f}" y="18" text-anchor="end" font-size="{_FONT}" '
        f'fill="#4b5563">forward ↓</text><text x="{cx + _ARROW_DX + 8:.0f}" y="18" '
        f'font-size="{_FONT}">backward ↑</text>'
    )
    for r, row in enumerate(rows):
        h = 12 + _LINE * len(row)
        left, right = cx - widest_box / 2, cx + widest_box / 2
        box = (
            f"{left:.0f},{y:.0f} {right:.0f},{y:.0f} {right:.0f},{y + h:.0f} {left:.0f},{y + h:.0f}"
        )
        texts = []
        for i, line in enumerate(row):
            ty = y + 21 + _LINE * i
            text = f'<text x="{cx:.0f}" y="{ty:.0f}" text-anchor="middle" font-size="{_FONT}"'
            if i == 1 and f"p{r}" in start:  # the parameters' gradients, filled in later
                texts.append(
                    f'<g id="{pid}-p{r}">{text} class="pbp-grad">{html.escape(line)}</text></g>'
                )
            else:
                texts.append(f"{text}>{html.escape(line)}</text>")
        fill = "#f3f4f6" if 0 < r < len(rows) - 1 else "#ffffff"
        parts.append(
            f'<g class="node" id="{pid}-m{r}"><polygon points="{box}" fill="{fill}" '
            f'stroke="#000"/>{"".join(texts)}</g>'
        )
        y += h
        if r == len(rows) - 1:
            break
        top, bottom = y, y + _GAP
        fx, bx, mid = cx - _ARROW_DX, cx + _ARROW_DX, top + _GAP / 2 + 5
        grad = html.escape(start[f"g{r}"])
        parts.append(
            f'<g class="edge" id="{pid}-f{r}">{_arrow(fx, top, bottom, "#6b7280")}'
            f'<text x="{fx - 8:.0f}" y="{mid:.0f}" text-anchor="end" font-size="{_FONT}" '
            f'fill="#374151">{html.escape(shapes[r])}</text></g>'
            f'<g class="edge" id="{pid}-b{r}">{_arrow(bx, bottom, top, "#000")}</g>'
            f'<g id="{pid}-g{r}"><text class="pbp-grad" x="{bx + 8:.0f}" y="{mid:.0f}" '
            f'font-size="{_FONT}">{grad}</text></g>'
        )
        y = bottom
    height = y + 10
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" font-family="monospace" role="img" '
        "aria-label=\"The model's modules, input at the top and loss at the bottom, with the "
        'shapes going forward and the gradients coming back">' + "".join(parts) + "</svg>"
    )


def _arrow(x: float, tail: float, head: float, colour: str) -> str:
    """A vertical arrow from y = ``tail`` to y = ``head``: a line and a triangle."""
    tip = 9 if head > tail else -9
    return (
        f'<path d="M{x:.0f},{tail:.0f} L{x:.0f},{head - tip:.0f}" stroke="{colour}" '
        f'fill="none"/><polygon points="{x - 5:.0f},{head - tip:.0f} {x + 5:.0f},'
        f'{head - tip:.0f} {x:.0f},{head:.0f}" fill="{colour}" stroke="{colour}"/>'
    )


def _param_text(grads: dict[str, np.ndarray]) -> str:
    return ", ".join(f"{name}.grad {_shape(g)}" for name, g in grads.items())


def _modules_player_html(player: ModuleBackwardPlayer) -> str:
    pid = new_id()
    n = len(player.steps)  # rows 1..n are the modules, the loss last (row n)
    start = {f"g{r}": "grad ?" for r in range(n)}
    start[f"g{n}"] = "grad 1"  # dL/dL
    for r, step in enumerate(player.steps[::-1], start=1):
        if step.param_grads:
            start[f"p{r}"] = ", ".join(f"{name}.grad ?" for name in step.param_grads)
    steps = []
    for k, step in enumerate(player.steps):
        r = n - k
        grads = {f"g{r - 1}": f"grad {_shape(step.grad_in)}"}
        if step.param_grads:
            grads[f"p{r}"] = _param_text(step.param_grads)
        steps.append({"on": [f"m{r}", f"b{r}", f"b{r - 1}"], "grads": grads, "text": step.text})
    # Lay out with the longest text each part will show.
    widest = dict(start)
    for step in steps:
        for name, text in step["grads"].items():
            if len(text) > len(widest[name]):
                widest[name] = text
    svg = _modules_svg(player, pid, widest)
    intro = (
        "Step 0: the loss's gradient with respect to itself is 1; no other gradient is known "
        "yet. Next runs one module's backward at a time, from the loss back to the input."
    )
    return player_html(
        pid, svg, start=start, steps=steps, intro=intro, title="Backward pass through the modules"
    )
