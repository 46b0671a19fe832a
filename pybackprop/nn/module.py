"""``Parameter`` and ``Module``, the base of every layer and loss (as ``torch.nn.Module``).

A ``Parameter`` is an array with its gradient. A ``Module`` is called like a function: the
call runs ``forward`` and keeps the inputs, so that ``backward(grad_out)`` can hand them to the
subclass's ``bwd``, which returns dL/dinput and adds dL/dparameter into each ``.grad``.

The calls made inside one outermost call (a model's forward calling its layers) form one
forward pass. A module called twice in it (one ReLU used twice) keeps both calls' inputs, and
its backward passes take them back last first, the reverse of the calls, as PyTorch's graph
does; a shared layer's gradients add up over its uses. A new outermost call starts a new pass,
so a module called outside training (evaluation) keeps only its last call. ``Sequential``
follows the same rule for its layers, whose inputs it keeps itself (``nn/layers.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import _checks as _c

__all__ = ["Module", "Parameter"]

# How deep in module calls this runs (0: outside any), and the number of the current pass.
_depth = 0
_pass = 0


def _keep_for_backward(state: dict, name: str, item: object) -> None:
    """Append item to the list state[name] of this pass's calls; a new pass starts a new list."""
    # state is a module's __dict__, written directly: this runs on every call of every module,
    # and Module.__setattr__'s Parameter check (not needed here) costs ~0.3 µs a write.
    pass_name = name + "_pass"
    if state.get(pass_name) == _pass:
        state[name].append(item)
    else:
        state[name], state[pass_name] = [item], _pass


class Parameter:
    """A trainable array ``.data`` and its gradient ``.grad``, of the same shape and dtype.

    As in PyTorch, ``.grad`` is None until a backward pass fills it: the first backward pass
    after ``zero_grad()`` assigns the gradient, later ones *add* into it.

    Parameters
    ----------
    data : np.ndarray, any shape
        The initial values, floating point; kept as ``.data``, not copied.

    Raises
    ------
    TypeError
        If ``data`` is not floating point.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> p = nn.Parameter(np.zeros((2, 3), dtype=np.float32))
    >>> p.accumulate_grad(np.ones((2, 3), dtype=np.float32))
    >>> print(p, p.grad.sum())
    Parameter(shape=(2, 3), dtype=float32) 6.0
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
        self.grad: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of data (and of grad)."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """Dtype of data (and of grad)."""
        return self.data.dtype

    def accumulate_grad(self, grad: np.ndarray) -> None:
        """Add ``grad`` into ``.grad``; a None ``.grad`` takes ``grad`` itself (not a copy).

        Parameters
        ----------
        grad : np.ndarray, shape of ``data``
            This backward pass's dL/ddata: a new array, such as ``x.T @ grad_out``.

        Raises
        ------
        ValueError
            If ``grad``'s shape is not ``data``'s.
        """
        # np.shape only for non-arrays: its Python wrapper costs ~0.2 µs, on every backward pass
        shape = grad.shape if type(grad) is np.ndarray else np.shape(grad)
        if shape != self.data.shape:
            raise ValueError(
                f"a gradient of shape {shape} for a parameter of shape "
                f"{self.data.shape}: dL/dparameter must have the parameter's shape."
            )
        # torch's rule: the first backward assigns (no zero fill, no add pass); later ones add
        if self.grad is None:
            self.grad = np.asarray(grad, dtype=self.data.dtype)
        else:
            self.grad += grad

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear ``.grad``: None (the default, as torch), or zeros in place.

        Parameters
        ----------
        set_to_none : bool, default True
            False fills an existing ``.grad`` with zeros, for code that holds a reference to it.
        """
        if set_to_none:
            self.grad = None
        elif self.grad is not None:
            self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: ``module(*inputs)`` runs ``forward`` and keeps the inputs for ``backward``.

    A subclass implements ``forward(*inputs)`` and ``bwd(grad_out, *inputs)``; parameters and
    sub-modules are found among its attributes, in assignment order, without registration.

    Raises
    ------
    TypeError
        If an array or other non-Parameter is assigned to an attribute holding a Parameter.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> class Square(nn.Module):
    ...     def forward(self, x):
    ...         return x * x
    ...     def bwd(self, grad_out, x):
    ...         return grad_out * 2 * x
    >>> sq = Square()
    >>> sq(np.array([1.0, -3.0])), sq.backward(np.ones(2))
    (array([1., 9.]), array([ 2., -6.]))
    """

    # (inputs, output) of each call of the current pass not yet gone back through
    _saved: list[tuple[tuple, object]] | None = None

    def __call__(self, *inputs: np.ndarray) -> np.ndarray:
        global _depth, _pass
        if _depth == 0:
            _pass += 1
        _depth += 1
        try:
            out = self.forward(*inputs)
        finally:
            _depth -= 1
        _keep_for_backward(self.__dict__, "_saved", (inputs, out))
        return out

    def __setattr__(self, name: str, value: object) -> None:
        # A plain array put where a Parameter was would drop out of parameters() unseen.
        if isinstance(self.__dict__.get(name), Parameter) and not (
            value is None or isinstance(value, Parameter)
        ):
            owner = type(self).__name__
            raise TypeError(
                f"{owner}.{name} is a Parameter; assigning a {type(value).__name__} would take "
                "it out of parameters() and the optimiser. Copy the values in "
                f"({name}.data[...] = array), or assign nn.Parameter(array) and build the "
                "optimiser after."
            )
        object.__setattr__(self, name, value)

    def forward(self, *inputs: np.ndarray) -> np.ndarray:
        """The output for ``inputs``; subclasses implement it (call the module, not this).

        Parameters
        ----------
        *inputs : np.ndarray
            The inputs, first the one whose gradient ``backward`` returns.

        Returns
        -------
        np.ndarray
            The output.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement forward(*inputs)")

    def bwd(self, grad_out: np.ndarray, *inputs: np.ndarray) -> np.ndarray:
        """Add dL/dparameter into each ``.grad`` (``accumulate_grad``), return dL/dinput.

        Parameters
        ----------
        grad_out : np.ndarray, shape of the output
            dL/doutput.
        *inputs : np.ndarray
            The inputs ``forward`` received.

        Returns
        -------
        np.ndarray, shape of ``inputs[0]``
            dL/dinput for the first input.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement bwd(grad_out, *inputs) -> grad_input"
        )

    def bwd_params(self, grad_out: np.ndarray, *inputs: np.ndarray) -> None:
        """Fill the parameters' ``.grad`` only; by default ``bwd``, its result dropped.

        Parameters
        ----------
        grad_out : np.ndarray, shape of the output
            dL/doutput.
        *inputs : np.ndarray
            The inputs ``forward`` received.
        """
        self.bwd(grad_out, *inputs)

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Back-propagate ``grad_out`` through the last call not yet gone back through.

        Parameters
        ----------
        grad_out : np.ndarray, shape of the output
            dL/doutput for that call.
        input_grad : bool, default True
            False skips dL/dinput (``bwd_params``), as PyTorch does for the data.

        Returns
        -------
        np.ndarray or None, shape of the first input
            dL/dinput, or None when ``input_grad`` is False.

        Raises
        ------
        TypeError
            If ``grad_out`` is not a numpy array of the output's shape, or holds no real numbers.
        ValueError
            If ``grad_out`` is an array of another shape than the output's.
        """
        saved = self._saved
        if not saved:
            raise RuntimeError(
                f"{type(self).__name__}.backward() called without a forward pass to go back "
                "through: call the module on a batch first (backward can run once per call)."
            )
        inputs, out = saved[-1]
        out_shape = getattr(out, "shape", None)
        if out_shape is not None and getattr(grad_out, "shape", ()) != out_shape:
            raise _c.grad_out_error(grad_out, out_shape, f"{type(self).__name__}.backward")
        saved.pop()  # one backward per call, last call first; the batch can be freed
        if input_grad:
            return self.bwd(grad_out, *inputs)
        self.bwd_params(grad_out, *inputs)
        return None

    def backward_formulas(self, grad_out: np.ndarray, *inputs: np.ndarray) -> list[tuple[str, str]]:
        """What ``bwd`` computes, for ``step_backward_modules``: by default the call itself.

        Parameters
        ----------
        grad_out : np.ndarray, shape of the output
            dL/doutput.
        *inputs : np.ndarray
            The inputs ``forward`` received.

        Returns
        -------
        list of (str, str)
            ``(formula, the same with shapes)``: dL/dinput's, then each parameter's.
        """
        args = ", ".join(["grad_out"] + [f"x{i}" if i else "x" for i in range(len(inputs))])
        shapes = ", ".join(str(np.shape(a)) for a in (grad_out, *inputs))
        found = [(f"grad_in = {type(self).__name__}.bwd({args})", f"bwd({shapes})")]
        found += [(f"{name}.grad += (from bwd)", "") for name, _ in self.named_parameters()]
        return found

    def __getstate__(self) -> dict:
        # A copy (deepcopy, pickle) holds the parameters, not what was kept for backward
        # (every such attribute is named _saved...).
        return {k: v for k, v in vars(self).items() if not k.startswith("_saved")}

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Sub-modules held as attributes or in list attributes (``"name.i"``), in order.

        Returns
        -------
        Iterator[tuple[str, Module]]
            ``(name, sub-module)`` pairs.
        """
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """Own parameters, then each sub-module's (``"0.weight"``); a shared one once.

        Returns
        -------
        Iterator[tuple[str, Parameter]]
            ``(dotted name, parameter)`` pairs.
        """
        seen: set[int] = set()
        for name, p in self._named_parameters_all(""):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _named_parameters_all(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        """Every (name, parameter) pair, duplicates included."""
        children = dict(self.named_children())
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in children.items():
            yield from child._named_parameters_all(f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        """Every parameter, in ``named_parameters`` order: what an optimiser takes.

        Returns
        -------
        list of Parameter
        """
        return [p for _, p in self.named_parameters()]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (``Parameter.zero_grad``).

        Parameters
        ----------
        set_to_none : bool, default True
            True sets each ``.grad`` to None, as torch; False fills each existing one with zeros.
        """
        for p in self.parameters():
            p.zero_grad(set_to_none)

    def extra_repr(self) -> str:
        """The text inside the parentheses of the repr; override to show settings.

        Returns
        -------
        str
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
