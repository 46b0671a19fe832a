"""``Parameter`` and ``Module``, the base of every layer and loss (as ``torch.nn.Module``)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["Module", "Parameter"]


class Parameter:
    """A trainable array and its gradient: ``.data``, and ``.grad`` of the same shape and dtype.

    ``.grad`` is None until a backward pass fills it, as in PyTorch: the first backward pass
    after ``zero_grad()`` assigns the gradient and later ones *add* into it, so call
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
    grad : np.ndarray of the shape and dtype of ``data``, or None
        The accumulated gradient of the loss with respect to ``data``; None before the first
        backward pass and after ``zero_grad()`` (a None grad also says that no backward pass
        reached this parameter).

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
    >>> print(p.grad)
    None
    >>> p.accumulate_grad(np.ones((2, 3), dtype=np.float32))
    >>> p.accumulate_grad(np.ones((2, 3), dtype=np.float32))
    >>> print(p.grad.sum())
    12.0
    >>> p.zero_grad()
    >>> print(p.grad)
    None
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

    def accumulate_grad(self, grad: np.ndarray) -> None:
        """Add ``grad`` (dL/ddata, ``data``'s shape) into ``.grad``; a None ``.grad`` takes it.

        Every module's backward pass fills its parameters' gradients through this. The first
        call after ``zero_grad()`` keeps ``grad`` itself as ``.grad`` (no copy; cast to
        ``data``'s dtype if needed), so pass a new array, such as ``x.T @ grad_out``.

        Parameters
        ----------
        grad : np.ndarray, shape of ``data``
            This backward pass's share of dL/ddata.

        Raises
        ------
        ValueError
            If ``grad``'s shape is not ``data``'s.
        """
        if np.shape(grad) != self.data.shape:
            raise ValueError(
                f"a gradient of shape {np.shape(grad)} for a parameter of shape "
                f"{self.data.shape}: dL/dparameter must have the parameter's shape."
            )
        # torch's rule: the first backward assigns (no zero fill, no add pass); later ones add
        if self.grad is None:
            self.grad = np.asarray(grad, dtype=self.data.dtype)
        else:
            self.grad += grad

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear ``.grad``: set it to None (the default, as torch), or fill it with zeros.

        Parameters
        ----------
        set_to_none : bool, default True
            True sets ``.grad`` to None, so the next backward pass assigns the gradient
            rather than adding to zeros; False fills an existing ``.grad`` with zeros in
            place (for code that holds a reference to the array).
        """
        if set_to_none:
            self.grad = None
        elif self.grad is not None:
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

        Adds the loss's gradient with respect to each parameter into its ``.grad`` (with
        ``Parameter.accumulate_grad``) and returns the gradient with respect to the first input.

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

    def backward_formulas(self, grad_out: np.ndarray, *inputs: np.ndarray) -> list[tuple[str, str]]:
        """What ``bwd`` computes, as ``step_backward_modules`` shows it; override to state it.

        Parameters
        ----------
        grad_out : np.ndarray, shape of the output
            dL/doutput.
        *inputs : np.ndarray
            The inputs that ``forward`` received.

        Returns
        -------
        list of (str, str)
            ``(formula, the same with the operands' shapes)``: first dL/dinput's, then one per
            parameter in ``named_parameters`` order. The base class names ``bwd`` itself, so
            a module of the reader's own shows the call that runs, whatever its maths.
        """
        args = ", ".join(["grad_out"] + [f"x{i}" if i else "x" for i in range(len(inputs))])
        shapes = ", ".join(str(np.shape(a)) for a in (grad_out, *inputs))
        found = [(f"grad_in = {type(self).__name__}.bwd({args})", f"bwd({shapes})")]
        found += [(f"{name}.grad += (from bwd)", "") for name, _ in self.named_parameters()]
        return found

    def __getstate__(self) -> dict:
        # A copy (copy.deepcopy, pickle) holds the parameters and settings, not the batch the
        # last call kept for its backward.
        state = dict(vars(self))
        state.pop("_inputs", None)
        return state

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

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad``: None by default, as torch (``Parameter.zero_grad``).

        Parameters
        ----------
        set_to_none : bool, default True
            True sets each ``.grad`` to None; False fills each existing one with zeros.
        """
        for p in self.parameters():
            p.zero_grad(set_to_none)

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
