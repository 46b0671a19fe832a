"""``Value``: a scalar that remembers how it was computed, so it can back-propagate.

Every operation below builds one new node and, right next to its forward value, states the
local derivative of that value with respect to each input. ``backward()`` then applies the
chain rule once per edge, walking the graph from the output back to the leaves.

Unlike micrograd, a node stores its parents and local derivatives as plain data (every
operation has one or two inputs, ``a`` and ``b``: four fields ``_a``, ``_da``, ``_b``, ``_db``),
not as a closure that refers back to the node itself. So no node sits in a reference cycle:
a graph you drop is freed at once by reference counting, and the garbage collector has nothing
to untangle.

Numbers and errors:

- Constants may be Python ints, floats or bools, numpy integer and floating scalars
  (``np.float64``, ``np.int64``, ``np.float32``, ...) or any ``numbers.Real``; they become
  leaf Values. Anything else (``"3"``, ``None``, ``[1]``, a numpy array) is a ``TypeError``
  that names its type.
- Operations outside their domain raise at once and name the value: ``log`` of x <= 0
  (``ValueError``), division by zero and ``0 ** negative`` (``ZeroDivisionError``), a negative
  base with a non-integer exponent (``ValueError``: the result would be complex), a result too
  large for a float (``OverflowError``).
- A Value may hold ``nan`` or ``inf`` (you can create one, and ``+``, ``-``, ``*`` overflow to
  ``inf`` as floats do), but ``backward()`` refuses to start from a non-finite output: it
  raises ``FloatingPointError`` before touching any ``.grad``, because every gradient it would
  write is meaningless. (PyTorch propagates the NaNs instead; a silent NaN is harder to debug.)
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["Value"]


def _constant(x: object) -> Value:
    """Wrap a plain number as a leaf Value, or return NotImplemented for other types.

    Returning NotImplemented (rather than raising) lets Python try the other operand's
    reflected method and otherwise raise its own "unsupported operand type(s)" TypeError.
    """
    if isinstance(x, Value):
        return x
    if isinstance(x, Real):
        return Value(x)
    return NotImplemented


def _number(x: object) -> float:
    """``x`` as a float if it is a real number (numpy scalars included), else a clear TypeError."""
    if isinstance(x, Real):
        return float(x)
    hint = " (use .item() to get a number out of a numpy array)" if hasattr(x, "shape") else ""
    raise TypeError(
        f"Value needs a real number (int, float or numpy scalar), "
        f"got {type(x).__name__}: {x!r}{hint}"
    )


class Value:
    """A scalar in a computation graph: a number, its gradient, and the Values it came from.

    Arithmetic on Values (or on a Value and a plain number, either side) builds the graph;
    ``out.backward()`` then fills in ``.grad`` = d(out)/d(node) on every node ``out`` was
    computed from. Each operation stores its local derivatives when it runs:

    | Expression | Result | d(out)/da | d(out)/db |
    | --- | --- | --- | --- |
    | ``a + b`` | sum | 1 | 1 |
    | ``a - b`` | difference | 1 | -1 |
    | ``a * b`` | product | ``b`` | ``a`` |
    | ``a / b`` | quotient (``b != 0``) | ``1 / b`` | ``-a / b**2`` |
    | ``a ** n``, ``n`` a number | power | ``n * a**(n - 1)`` | |
    | ``a ** b``, ``b`` a Value | power (``a > 0``) | ``b * a**(b - 1)`` | ``a**b * log(a)`` |
    | ``-a`` | negation | -1 | |
    | ``a.exp()`` | e to the ``a`` | ``exp(a)`` | |
    | ``a.log()`` | natural log (``a > 0``) | ``1 / a`` | |
    | ``a.tanh()`` | hyperbolic tangent | ``1 - tanh(a)**2`` | |
    | ``a.relu()`` | ``max(a, 0)`` | 1 if ``a > 0``, else 0 (also at 0, as in PyTorch) | |
    | ``a.sigmoid()`` | ``1 / (1 + exp(-a))`` | ``sigmoid(a) * (1 - sigmoid(a))`` | |

    A number works on either side: ``2 + a``, ``2 - a``, ``2 * a``, ``2 / a`` and ``2 ** a``
    give the same graph as ``Value(2) + a`` and so on. There is no comparison or ``abs``:
    compare ``a.data`` instead.

    Parameters
    ----------
    data : float
        The number. Any real number is accepted (int, bool, numpy integer or floating scalar,
        ``numbers.Real``) and stored as a Python float.
    label : str, default ""
        A name shown by ``to_dot`` and ``draw_graph``; it does not affect the maths.

    Attributes
    ----------
    data : float
        The number.
    grad : float
        d(output)/d(this Value), filled in by ``output.backward()``; 0.0 at first.
    label : str
        A name shown by ``to_dot`` and ``draw_graph`` (``""`` unless you set it).
    op : str
        The operation that produced this Value: ``""`` for a leaf, else e.g. ``"+"``,
        ``"tanh"``, ``"**2"``.
    parents : tuple of Value
        The Values it was computed from, ``(a, b)`` or ``(a,)`` (an empty tuple for a leaf).
    _local_grads : tuple of float
        d(self)/d(parent) for each of ``parents``, in the same order: ``(da, db)`` or ``(da,)``.
    _prev : set of Value
        micrograd's name for ``parents``, as a set (read-only), so that code from Karpathy's
        micrograd lecture (its ``draw_dot``, its hand-written topological sort) runs as is.
    _op : str
        micrograd's name for ``op`` (read-only).

    Raises
    ------
    TypeError
        If ``data`` is not a real number (a string, ``None``, a list, a numpy array; for an
        array the message suggests ``.item()``), or ``label`` is not a ``str``.

    See Also
    --------
    MLP, to_dot, draw_graph

    Examples
    --------
    >>> from pybackprop import Value
    >>> a = Value(2.0, label="a")
    >>> b = Value(-3.0, label="b")
    >>> c = a * b + a**2
    >>> c
    Value(data=-2.0, grad=0.0)
    >>> c.backward()
    >>> a.grad, b.grad  # dc/da = b + 2a, dc/db = a
    (1.0, 2.0)
    >>> c.op, [p.op for p in c.parents]
    ('+', ['*', '**2'])

    Numbers mix in on either side, and ``backward`` reaches through every function:

    >>> x = Value(0.5)
    >>> y = (2 * x).tanh() + 1 / x
    >>> y.backward()
    >>> print(round(y.data, 4), round(x.grad, 4))
    2.7616 -3.1601

    The lecture's names work too: ``_prev``, ``_op``, and ``_backward()`` for one step of the
    chain rule, here by hand from the output down:

    >>> a, b = Value(2.0), Value(-3.0)
    >>> d = a * b
    >>> e = d + a
    >>> e._op, e._prev == {d, a}
    ('+', True)
    >>> e.grad = 1.0
    >>> e._backward()  # d.grad = 1, a.grad = 1
    >>> d._backward()  # a.grad += b * d.grad, b.grad += a * d.grad
    >>> a.grad, b.grad
    (-2.0, 2.0)
    """

    # Parents and local derivatives sit in the node's own fields, not in two tuples: one
    # object per node instead of three, which the garbage collector (it scans every object
    # that can hold references) goes through about twice as fast while a graph is built.
    __slots__ = ("data", "grad", "label", "op", "_a", "_da", "_b", "_db", "__weakref__")

    def __init__(self, data: float, label: str = "") -> None:
        if type(label) is not str:
            raise TypeError(f"label must be a str, got {type(label).__name__}: {label!r}")
        self.data = data if type(data) is float else _number(data)
        self.grad = 0.0
        self.label = label
        self.op = ""  # a leaf: no operation, no parents
        self._a = self._b = None
        self._da = self._db = 0.0

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # ---- binary operations: d(out)/d(self), d(out)/d(other) stated with each result ----

    def __add__(self, other: Value | float) -> Value:
        other = other if type(other) is Value else _constant(other)
        if other is NotImplemented:
            return NotImplemented
        return _node(self.data + other.data, "+", self, 1.0, other, 1.0)  # d/da = d/db = 1

    def __sub__(self, other: Value | float) -> Value:
        other = other if type(other) is Value else _constant(other)
        if other is NotImplemented:
            return NotImplemented
        return _node(self.data - other.data, "-", self, 1.0, other, -1.0)  # d/da = 1, d/db = -1

    def __mul__(self, other: Value | float) -> Value:
        other = other if type(other) is Value else _constant(other)
        if other is NotImplemented:
            return NotImplemented
        a, b = self.data, other.data
        return _node(a * b, "*", self, b, other, a)  # d/da = b, d/db = a

    def __truediv__(self, other: Value | float) -> Value:
        other = other if type(other) is Value else _constant(other)
        if other is NotImplemented:
            return NotImplemented
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {self!r} / {other!r}")
        # out = a / b:  d/da = 1 / b,  d/db = -a / b**2
        return _node(a / b, "/", self, 1.0 / b, other, -a / (b * b))

    def __pow__(self, exponent: Value | float) -> Value:
        if isinstance(exponent, Value):
            return self._pow_value(exponent)
        if not isinstance(exponent, Real):
            return NotImplemented
        n, x = float(exponent), self.data
        if x == 0.0 and n < 0.0:
            raise ZeroDivisionError(f"0 cannot be raised to a negative power: {self!r} ** {n:g}")
        if x < 0.0 and not n.is_integer():
            raise ValueError(
                f"a negative base needs an integer exponent (the result would be complex): "
                f"{self!r} ** {n:g}"
            )
        if x == 0.0 and 0.0 < n < 1.0:
            raise ValueError(f"x ** {n:g} has no finite derivative at x = 0: {self!r} ** {n:g}")
        out = _checked(x, n)
        # out = x**n:  d/dx = n * x**(n-1)  (0 for n = 0, which x**-1 would break at x = 0)
        local = n * _checked(x, n - 1.0) if n != 0.0 else 0.0
        return _node(out, f"**{n:g}", self, local)

    def _pow_value(self, other: Value) -> Value:
        x, y = self.data, other.data
        if x <= 0.0:
            raise ValueError(
                f"a Value exponent needs a positive base (x**y = exp(y * log x)): "
                f"{self!r} ** {other!r}"
            )
        out = _checked(x, y)
        # out = x**y:  d/dx = y * x**(y-1),  d/dy = x**y * log(x)
        return _node(out, "**", self, y * _checked(x, y - 1.0), other, out * math.log(x))

    # ---- reflected forms: `2 + v`, `2 - v`, `2 * v`, `2 / v`, `2 ** v` ----

    __radd__ = __add__  # addition and multiplication commute
    __rmul__ = __mul__

    def __rsub__(self, other: float) -> Value:
        other = _constant(other)
        return NotImplemented if other is NotImplemented else other - self

    def __rtruediv__(self, other: float) -> Value:
        other = _constant(other)
        return NotImplemented if other is NotImplemented else other / self

    def __rpow__(self, other: float) -> Value:
        other = _constant(other)
        return NotImplemented if other is NotImplemented else other._pow_value(self)

    def __neg__(self) -> Value:
        return _node(-self.data, "neg", self, -1.0)

    # ---- functions of one Value ----

    def exp(self) -> Value:
        """e to the power of this Value; its local derivative is ``exp(x)`` itself.

        Returns
        -------
        Value
            ``exp(self.data)``, with this Value as its one parent.

        Raises
        ------
        OverflowError
            If the result is too large for a float (``self.data`` above about 709.78).

        Examples
        --------
        >>> x = Value(1.0)
        >>> y = x.exp()
        >>> y.backward()
        >>> print(round(y.data, 4), round(x.grad, 4))
        2.7183 2.7183
        """
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp overflows a float (max about 1.8e308): {self!r}") from None
        return _node(out, "exp", self, out)  # d/dx exp(x) = exp(x)

    def log(self) -> Value:
        """The natural logarithm of this Value; its local derivative is ``1 / x``.

        Returns
        -------
        Value
            ``log(self.data)``, with this Value as its one parent.

        Raises
        ------
        ValueError
            If ``self.data`` is not positive (zero, negative, or nan).

        Examples
        --------
        >>> x = Value(2.0)
        >>> y = x.log()
        >>> y.backward()
        >>> print(round(y.data, 4), x.grad)
        0.6931 0.5
        """
        x = self.data
        if not x > 0.0:
            raise ValueError(f"log needs a positive number: log of {self!r}")
        return _node(math.log(x), "log", self, 1.0 / x)  # d/dx log(x) = 1/x

    def tanh(self) -> Value:
        """The hyperbolic tangent of this Value; its local derivative is ``1 - tanh(x)**2``.

        Returns
        -------
        Value
            ``tanh(self.data)``, in (-1, 1), with this Value as its one parent.

        Examples
        --------
        >>> x = Value(0.5)
        >>> y = x.tanh()
        >>> y.backward()
        >>> print(round(y.data, 4), round(x.grad, 4))
        0.4621 0.7864
        """
        t = math.tanh(self.data)
        return _node(t, "tanh", self, 1.0 - t * t)  # d/dx tanh(x) = 1 - tanh(x)**2

    def relu(self) -> Value:
        """``max(x, 0)``; its local derivative is 1 where x > 0, else 0.

        Returns
        -------
        Value
            ``self.data`` if it is positive, else 0.0, with this Value as its one parent.

        Examples
        --------
        >>> x = Value(-1.5)
        >>> y = x.relu()
        >>> y.backward()
        >>> y.data, x.grad
        (0.0, 0.0)
        """
        # The derivative at exactly 0 is taken as 0, as PyTorch does; relu(nan) stays nan.
        x = self.data
        return _node(0.0 if x < 0.0 else x, "relu", self, 1.0 if x > 0.0 else 0.0)

    def sigmoid(self) -> Value:
        """The logistic function ``1 / (1 + exp(-x))``; its local derivative is ``s * (1 - s)``.

        Finite for every finite input: no ``exp`` of a large positive number is ever taken.

        Returns
        -------
        Value
            ``sigmoid(self.data)``, in [0, 1], with this Value as its one parent.

        Examples
        --------
        >>> x = Value(0.0)
        >>> y = x.sigmoid()
        >>> y.backward()
        >>> y.data, x.grad
        (0.5, 0.25)
        """
        # Written so that exp never overflows: exp(-|x|) <= 1.
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, "sigmoid", self, s * (1.0 - s))  # d/dx s(x) = s(x)(1 - s(x))

    # ---- the record of how this Value was made, as tuples ----

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from: ``(a, b)``, ``(a,)``, or ``()`` for a leaf."""
        if self._a is None:
            return ()
        return (self._a,) if self._b is None else (self._a, self._b)

    @property
    def _local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each of ``parents``, in the same order: ``(da, db)``, ``(da,)``."""
        if self._a is None:
            return ()
        return (self._da,) if self._b is None else (self._da, self._db)

    # ---- micrograd's names, so that code from Karpathy's lecture runs unchanged ----

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for ``parents``: the Values this one was computed from, as a set.

        Read-only; a new set on each access. A Value used twice (``a * a``) appears once here
        and twice in ``parents``.
        """
        return set(self.parents)

    @property
    def _op(self) -> str:
        """micrograd's name for ``op``: the operation that made this Value (``""`` for a leaf)."""
        return self.op

    def _backward(self) -> None:
        """One step of the chain rule, micrograd's ``_backward``: pass ``.grad`` to the parents.

        Adds ``local * self.grad`` into each parent's ``.grad``, with ``local`` the stored
        d(self)/d(parent). Nothing else: called on every node in reverse topological order,
        after setting the output's ``.grad`` to 1, it is what ``backward()`` does. A leaf has
        no parents, so on a leaf it does nothing.
        """
        g = self.grad
        for parent, local in zip(self.parents, self._local_grads, strict=True):
            parent.grad += local * g

    # ---- back-propagation ----

    def backward(self, grad: float = 1.0) -> None:
        """Add d(self)/d(node) * grad to ``.grad`` of every node this Value was computed from.

        A topological sort, then one pass in reverse: each node's gradient is complete before
        it is passed on to its parents. Gradients accumulate across calls, as PyTorch's leaf
        ``.grad`` does: call ``zero_grad()`` (on the output, or on a network) to start again.
        The sort is iterative, so graphs deeper than Python's recursion limit work too.

        Parameters
        ----------
        grad : float, default 1.0
            The seed: d(loss)/d(self), the gradient this Value passes back. 1.0 (like
            PyTorch's ``backward()`` on a scalar) makes ``.grad`` the derivative of this Value.

        Raises
        ------
        FloatingPointError
            If this Value or ``grad`` is nan or inf; no ``.grad`` is changed.
        TypeError
            If ``grad`` is not a real number.

        Examples
        --------
        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward()
        >>> x.grad
        6.0
        >>> y.backward()  # a second call adds to .grad
        >>> x.grad
        12.0
        """
        grad = _number(grad)
        if not math.isfinite(self.data):
            raise FloatingPointError(
                f"backward() from a non-finite output {self!r}: every gradient would be nan "
                f"or inf. Look for an overflow (exp of a large number, a huge learning rate) "
                f"or an inf/nan input upstream."
            )
        if not math.isfinite(grad):
            raise FloatingPointError(f"backward() needs a finite seed gradient, got {grad!r}")
        order = self._topological_order()
        # `.grad` keeps the total over calls, but each call must push only its own gradient
        # through the graph: set the old totals aside, and add them back at the end.
        previous = [node.grad for node in order]
        carried = any(previous)
        if carried:
            for node in order:
                node.grad = 0.0
        self.grad = grad
        # Reverse topological order: a node's gradient is complete before it is passed on.
        # This is node._backward() written out in one loop: a method call per node would cost
        # as much as the work it does.
        for node in reversed(order):
            a = node._a
            if a is not None:
                g = node.grad
                a.grad += node._da * g
                b = node._b
                if b is not None:
                    b.grad += node._db * g
        if carried:
            for node, old in zip(order, previous, strict=True):
                node.grad += old

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0.0 on this Value and on every Value it was computed from.

        Examples
        --------
        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward()
        >>> y.zero_grad()
        >>> x.grad, y.grad
        (0.0, 0.0)
        """
        for node in self._topological_order():
            node.grad = 0.0

    def _topological_order(self) -> list[Value]:
        """Every node reachable from self, each one after all of its parents.

        Iterative depth-first search, as a recursive one would hit Python's recursion limit on
        deep graphs. A node is pushed back with a `None` marker on top when first reached; by
        the time the marker comes off the stack everything above the node has been listed,
        so the node is listed next.
        """
        order: list[Value] = []
        visited: set[Value] = set()
        stack: list[Value | None] = [self]
        while stack:
            node = stack.pop()
            if node is None:
                order.append(stack.pop())
            elif node not in visited:
                visited.add(node)
                stack.append(node)
                stack.append(None)
                # the parents, a then b, read from the fields (building `parents` costs a tuple)
                if node._a is not None:
                    stack.append(node._a)
                    if node._b is not None:
                        stack.append(node._b)
        return order


_new_value = object.__new__


def _node(
    data: float, op: str, a: Value, da: float, b: Value | None = None, db: float = 0.0
) -> Value:
    """An operation's result ``data``, made by ``op`` from ``a`` (and ``b``); da = d(out)/da."""
    # Built field by field: operations always give a float, so Value()'s checks are not needed.
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = op
    out._a = a
    out._da = da
    out._b = b
    out._db = db
    return out


def _checked(x: float, n: float) -> float:
    """x ** n for floats, with an OverflowError that names the operands."""
    try:
        return x**n
    except OverflowError:
        raise OverflowError(f"{x!r} ** {n!r} overflows a float (max about 1.8e308)") from None
