"""Layers with hand-written backward passes: `Parameter`, `Module` and the modules built on it.

A module is called like a function (`y = layer(x)`); the call runs `forward` and keeps the
inputs, so that `layer.backward(grad_out)` can return dL/dinput and add dL/dparameter into each
parameter's `.grad`. Gradients accumulate, as in PyTorch, until `zero_grad()`.

To write a module, subclass `Module` and implement two methods:

    forward(*inputs) -> output
    bwd(grad_out, *inputs) -> grad of the loss with respect to the first input

`bwd` receives the inputs that `forward` saw, so most modules need to store nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


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

    def __call__(self, *inputs):
        out = self.forward(*inputs)
        self._inputs = inputs
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
