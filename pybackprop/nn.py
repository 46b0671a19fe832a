"""Layers with hand-written backward passes: `Parameter`, `Module` and the modules built on it.

A module is called like a function (`y = layer(x)`); the call runs `forward` and keeps the
inputs, so that `layer.backward(grad_out)` can return dL/dinput and add dL/dparameter into each
parameter's `.grad`. Gradients accumulate, as in PyTorch, until `zero_grad()`.

To write a module, subclass `Module` and implement two methods:

    forward(*inputs) -> output
    bwd(grad_out, *inputs) -> grad of the loss with respect to the first input

`bwd` receives the inputs that `forward` saw, so most modules need to store nothing else.
A module with parameters may also override `bwd_params(grad_out, *inputs)`, which fills the
parameters' gradients without computing dL/dinput: `backward(grad_out, input_grad=False)`
uses it to skip the first layer's most expensive and unused product, as PyTorch does.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import functional as F
from . import init


class Parameter:
    """A trainable array and its gradient: `.data` and `.grad` have the same shape and dtype.

    `.grad` starts at zero and backward passes *add* into it (as PyTorch does), so call
    `zero_grad()` (usually via the optimiser) after each step.
    """

    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray):
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
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def zero_grad(self) -> None:
        """Set `.grad` to zero in place (optimisers and callers may hold a reference to it)."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: `__call__` runs `forward` and saves its inputs for one `backward`.

    Subclasses implement `forward(*inputs)` and `bwd(grad_out, *inputs)`. Parameters and
    sub-modules are found by looking at the attributes, in the order they were assigned.
    """

    _inputs: tuple | None = None
    _out_shape: tuple[int, ...] | None = None

    def __call__(self, *inputs):
        out = self.forward(*inputs)
        self._inputs, self._out_shape = inputs, getattr(out, "shape", None)
        return out

    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward(*inputs)")

    def bwd(self, grad_out, *inputs):
        raise NotImplementedError(
            f"{type(self).__name__} must implement bwd(grad_out, *inputs) -> grad_input"
        )

    def bwd_params(self, grad_out, *inputs) -> None:
        """Fill the parameters' `.grad` only; override to skip computing the input gradient."""
        self.bwd(grad_out, *inputs)

    def backward(self, grad_out, *, input_grad: bool = True):
        """Back-propagate `grad_out` (dL/doutput, the output's shape) through the last call.

        Adds dL/dparameter into every parameter's `.grad` and returns dL/dinput (the first
        input's shape). `input_grad=False` returns None and skips that gradient's cost, as
        PyTorch does for inputs that do not require grad (the data fed to the first layer).
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
        """Sub-modules held as attributes (or in list/tuple attributes), in assignment order."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """(name, Parameter) pairs such as ("0.weight", ...), recursive, without duplicates."""
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
        """Every Parameter of this module and its sub-modules, in definition order, once each."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr."""
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
    """A fully connected layer: x (batch, n_in) -> x @ weight + bias (batch, n_out).

    `weight` (n_in, n_out) is Kaiming-normal: N(0, std**2) with std = sqrt(2 / n_in), which
    suits a following ReLU (`init.kaiming_normal_`); `bias` (n_out,) starts at zero (as in
    lesson 13; PyTorch draws it uniformly). `rng`: a seed or `np.random.Generator`.
    `dtype`: the parameters' dtype, float32 by default as in PyTorch; inputs must match it.

    The backward pass, for grad_out = dL/dy of shape (batch, n_out):
        dL/dweight = x.T @ grad_out     # (n_in, n_out): one matmul, which sums over the batch
                                        # and equals np.einsum('bi,bj->ij', x, grad_out)
        dL/dbias   = grad_out.sum(0)    # (n_out,)
        dL/dx      = grad_out @ weight.T  # (batch, n_in)
    """

    def __init__(self, n_in: int, n_out: int, *, bias: bool = True, rng=None, dtype=np.float32):
        for name, n in (("n_in", n_in), ("n_out", n_out)):
            if not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"Linear: {name} must be a positive integer; got {n!r}.")
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.weight = Parameter(np.empty((self.n_in, self.n_out), dtype=dtype))
        init.kaiming_normal_(self.weight, rng=rng)
        self.bias = Parameter(np.zeros(self.n_out, dtype=dtype)) if bias else None

    def forward(self, x: np.ndarray) -> np.ndarray:
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
        self.weight.grad += x.T @ grad_out
        if self.bias is not None:
            self.bias.grad += grad_out.sum(axis=0)

    def bwd(self, grad_out: np.ndarray, x: np.ndarray) -> np.ndarray:
        self.bwd_params(grad_out, x)
        return grad_out @ self.weight.data.T

    def extra_repr(self) -> str:
        return f"in={self.n_in}, out={self.n_out}, bias={self.bias is not None}"


class ReLU(Module):
    """max(x, 0) elementwise: any shape -> the same shape. Gradient: 1 where x > 0, else 0."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return F.relu(x)

    def bwd(self, grad_out: np.ndarray, x: np.ndarray) -> np.ndarray:
        # The gradient at the kink x == 0 is 0, PyTorch's convention. Multiplying by the mask
        # is several times faster than np.where, whose cost grows with unpredictable branches.
        return grad_out * (x > 0)


class Sequential(Module):
    """Modules applied one after another; backward goes through them in reverse order.

    Indexable like a list: `model[0].weight`, `len(model)`, `for layer in model`.
    """

    def __init__(self, *modules: Module):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(
                    f"Sequential takes Modules; argument {i} is a {type(m).__name__}. "
                    "Pass an instance, e.g. nn.ReLU() rather than nn.ReLU."
                )
        self.layers = list(modules)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, m in enumerate(self.layers):
            yield str(i), m

    def forward(self, x: np.ndarray) -> np.ndarray:
        for m in self.layers:
            x = m(x)
        return x

    def bwd(self, grad_out: np.ndarray, x: np.ndarray) -> np.ndarray:
        for m in reversed(self.layers):
            grad_out = m.backward(grad_out)
        return grad_out

    def bwd_params(self, grad_out: np.ndarray, x: np.ndarray) -> None:
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


class Loss(Module):
    """Base for loss modules: `loss_fn(pred, target)` -> scalar, `loss_fn.backward()` -> dL/dpred.

    `backward(grad_out=1.0)`: a loss is usually where the backward pass starts, so the upstream
    gradient defaults to dL/dL = 1.
    """

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        return super().backward(grad_out)


class MSELoss(Loss):
    """Mean squared error (`F.mse`): pred and target of the same shape -> scalar.

    dL/dpred = 2 * (pred - target) / pred.size.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> np.floating:
        return F.mse(pred, target)

    def bwd(self, grad_out: float, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        grad = pred - np.asarray(target, dtype=pred.dtype)
        grad *= 2 * grad_out / grad.size  # in place keeps pred's dtype
        return grad


class CrossEntropyLoss(Loss):
    """Cross-entropy of raw logits (n, c) against integer labels (n,) -> scalar (`F.cross_entropy`).

    dL/dlogits = (softmax(logits) - one_hot(target)) / n, computed without building the
    one-hot matrix: subtract 1 at [arange(n), target].
    """

    def forward(self, logits: np.ndarray, target: np.ndarray) -> np.floating:
        log_probs = F.log_softmax(F._batch(logits, "CrossEntropyLoss"))
        loss = F._nll(log_probs, target, "CrossEntropyLoss")
        self._log_probs = log_probs  # the backward pass needs softmax = exp(log_probs)
        return loss

    def bwd(self, grad_out: float, logits: np.ndarray, target: np.ndarray) -> np.ndarray:
        grad = np.exp(self._log_probs, out=self._log_probs)
        self._log_probs = None
        n = len(grad)
        grad[np.arange(n), target] -= 1
        grad *= grad_out / n
        return grad
