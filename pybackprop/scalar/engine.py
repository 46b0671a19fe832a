"""``Value``: a scalar that remembers how it was computed, so it can back-propagate.

Each operation makes one node and stores, next to its forward value, its local derivative
with respect to each input; ``backward()`` applies the chain rule once per edge, from the
output back to the leaves. Unlike micrograd's closures, the parents and local derivatives are
plain data (``_a``, ``_da``, ``_b``, ``_db``): no node sits in a reference cycle, so a dropped
graph is freed at once. Errors name the value: a non-number, an operation outside its domain,
``backward()`` from a nan or inf output (where PyTorch would propagate NaNs silently).
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["Value"]


def _constant(x: object) -> Value:
    """A number as a leaf Value; NotImplemented for other types, so Python tries the other side."""
    if isinstance(x, Value):
        return x
    if isinstance(x, Real):
        return Value(x)
    _refuse_array(x)
    return NotImplemented


def _refuse_array(x: object) -> None:
    """Refuse an array (numpy, torch) on either side of an operation, saying what to do."""
    if hasattr(x, "shape"):
        raise TypeError(
            f"a Value combines with single numbers, not arrays: got {type(x).__name__} of shape "
            f"{tuple(x.shape)}. Loop over its elements, or take one number out with .item()"
        )


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

    Arithmetic (``+ - * / **``, negation, numbers on either side) and ``exp``, ``log``, ``tanh``,
    ``relu``, ``sigmoid`` build the graph, each stating its local derivative; ``out.backward()``
    sets ``.grad`` = d(out)/d(node) on every node it came from. micrograd's ``_prev``, ``_op``
    and ``_backward()`` work too, so code from Karpathy's lecture runs as is.

    Parameters
    ----------
    data : float
        The number: any real number, stored as a Python float.
    label : str, default ""
        A name shown by ``to_dot`` and ``draw_graph``.

    Attributes
    ----------
    grad : float
        d(output)/d(this Value), set by ``output.backward()``; 0.0 at first.
    op : str
        The operation that made it (``"+"``, ``"tanh"``, ``"**2"``, ...); ``""`` for a leaf.
    parents : tuple of Value
        The Values it was computed from: ``(a, b)``, ``(a,)``, or ``()`` for a leaf.

    Raises
    ------
    TypeError
        If ``data`` is not a real number or ``label`` is not a ``str``; an operation with an
        array (numpy or torch) on either side raises it too.

    Examples
    --------
    >>> from pybackprop import Value
    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = a * b + a**2
    >>> c.backward()
    >>> c.data, a.grad, b.grad  # dc/da = b + 2a, dc/db = a
    (-2.0, 1.0, 2.0)
    """

    # Parents and local derivatives sit in the node's own fields, not in two tuples: one
    # object per node instead of three, which the garbage collector (it scans every object
    # that can hold references) goes through about twice as fast while a graph is built.
    __slots__ = ("data", "grad", "label", "op", "_a", "_da", "_b", "_db", "__weakref__")
    # numpy leaves `array + value` to Value (rather than making an array of Values), which
    # refuses it as it refuses `value + array`.
    __array_ufunc__ = None

    def __init__(self, data: float, label: str = "") -> None:
        if type(label) is not str:
            raise TypeError(f"label must be a str, got {type(label).__name__}: {label!r}")
        self.data = data if type(data) is float else _number(data)
        self.grad = 0.0
        self.label = label
        self.op = ""  # a leaf
        self._a = self._b = None
        self._da = self._db = 0.0

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # ---- binary operations ----

    def __add__(self, other: Value | float) -> Value:
        """Sum: d(a+b)/da = 1, d(a+b)/db = 1."""
        other = other if type(other) is Value else _constant(other)
        if other is NotImplemented:
            return NotImplemented
        return _node(self.data + other.data, "+", self, 1.0, other, 1.0)

    def __sub__(self, other: Value | float) -> Value:
        """Difference: d(a-b)/da = 1, d(a-b)/db = -1."""
        other = other if type(other) is Value else _constant(other)
        if other is NotImplemented:
            return NotImplemented
        return _node(self.data - other.data, "-", self, 1.0, other, -1.0)

    def __mul__(self, other: Value | float) -> Value:
        """Product: d(a*b)/da = b, d(a*b)/db = a."""
        other = other if type(other) is Value else _constant(other)
        if other is NotImplemented:
            return NotImplemented
        a, b = self.data, other.data
        return _node(a * b, "*", self, b, other, a)

    def __truediv__(self, other: Value | float) -> Value:
        """Quotient: d(a/b)/da = 1/b, d(a/b)/db = -a/b**2."""
        other = other if type(other) is Value else _constant(other)
        if other is NotImplemented:
            return NotImplemented
        b = other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {self!r} / {other!r}")
        # -a/b**2 as -(a/b)/b: b*b underflows to 0 for |b| < 1e-154, though a/b may be 1.
        out = self.data / b
        return _node(out, "/", self, 1.0 / b, other, -out / b)

    def __pow__(self, exponent: Value | float) -> Value:
        """Power by a number: d(x**n)/dx = n * x**(n-1); a Value exponent: see ``_pow_value``."""
        if isinstance(exponent, Value):
            return self._pow_value(exponent)
        if not isinstance(exponent, Real):
            _refuse_array(exponent)
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
        return _node(out, f"**{n:g}", self, _power_derivative(x, n))

    def _pow_value(self, other: Value) -> Value:
        """Power by a Value: d(x**y)/dx = y * x**(y-1), d(x**y)/dy = x**y * log(x)."""
        x, y = self.data, other.data
        if x <= 0.0:
            raise ValueError(
                f"a Value exponent needs a positive base (x**y = exp(y * log x)): "
                f"{self!r} ** {other!r}"
            )
        out = _checked(x, y)
        return _node(out, "**", self, _power_derivative(x, y), other, out * math.log(x))

    # ---- a number on the left: `2 + v`, `2 - v`, `2 * v`, `2 / v`, `2 ** v` ----

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
        """Negation: d(-x)/dx = -1."""
        return _node(-self.data, "neg", self, -1.0)

    # ---- functions of one Value ----

    def exp(self) -> Value:
        """Exponential: d(exp x)/dx = exp x.

        Returns
        -------
        Value
            exp(x).

        Raises
        ------
        OverflowError
            If x is above about 709.78, where exp(x) overflows a float.
        """
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp overflows a float (max about 1.8e308): {self!r}") from None
        return _node(out, "exp", self, out)

    def log(self) -> Value:
        """Natural logarithm: d(log x)/dx = 1/x.

        Returns
        -------
        Value
            log(x).

        Raises
        ------
        ValueError
            If x is not positive (zero, negative or nan).
        """
        x = self.data
        if not x > 0.0:
            raise ValueError(f"log needs a positive number: log of {self!r}")
        return _node(math.log(x), "log", self, 1.0 / x)

    def tanh(self) -> Value:
        """Hyperbolic tangent: d(tanh x)/dx = 1 - tanh(x)**2.

        Returns
        -------
        Value
            tanh(x), in (-1, 1).
        """
        t = math.tanh(self.data)
        return _node(t, "tanh", self, 1.0 - t * t)

    def relu(self) -> Value:
        """Rectifier max(x, 0): d(relu x)/dx = 1 if x > 0, else 0.

        Returns
        -------
        Value
            x if it is positive, else 0.0.
        """
        # The derivative at exactly 0 is taken as 0, as PyTorch does; relu(nan) stays nan.
        x = self.data
        return _node(0.0 if x < 0.0 else x, "relu", self, 1.0 if x > 0.0 else 0.0)

    def sigmoid(self) -> Value:
        """Logistic s(x) = 1 / (1 + exp(-x)): d(s(x))/dx = s(x) * (1 - s(x)).

        Returns
        -------
        Value
            s(x), in [0, 1]; finite for every finite x.
        """
        # Written so that exp never overflows: exp(-|x|) <= 1.
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, "sigmoid", self, s * (1.0 - s))

    # ---- the record of how this Value was made ----

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from: ``(a, b)``, ``(a,)``, or ``()`` for a leaf."""
        if self._a is None:
            return ()
        return (self._a,) if self._b is None else (self._a, self._b)

    @property
    def _local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each of ``parents``, in the same order."""
        if self._a is None:
            return ()
        return (self._da,) if self._b is None else (self._da, self._db)

    # ---- micrograd's names, so that code from Karpathy's lecture runs unchanged ----

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for ``parents``, as a new set (a Value used twice appears once)."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """micrograd's name for ``op``."""
        return self.op

    def _backward(self) -> None:
        """One chain-rule step, micrograd's: parent.grad += d(self)/d(parent) * self.grad."""
        g = self.grad
        for parent, local in zip(self.parents, self._local_grads, strict=True):
            parent.grad += local * g

    # ---- back-propagation ----

    def backward(self, grad: float = 1.0) -> None:
        """Add d(self)/d(node) * grad to the ``.grad`` of every node this Value came from.

        Parameters
        ----------
        grad : float, default 1.0
            The seed d(loss)/d(self). Gradients add up over calls until ``zero_grad()``.

        Raises
        ------
        FloatingPointError
            If this Value or ``grad`` is nan or inf; no ``.grad`` is changed then.
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
        """Set ``.grad`` to 0.0 on this Value and on every Value it was computed from."""
        for node in self._topological_order():
            node.grad = 0.0

    def _topological_order(self) -> list[Value]:
        """Every node reachable from self, each after all of its parents (iterative DFS)."""
        # Iterative, as recursion would hit Python's limit on deep graphs. A node goes back on
        # the stack under a None marker; when the marker comes off, its parents are listed.
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
                # read from the fields: building `parents` costs a tuple
                if node._a is not None:
                    stack.append(node._a)
                    if node._b is not None:
                        stack.append(node._b)
        return order


_new_value = object.__new__


def _node(
    data: float, op: str, a: Value, da: float, b: Value | None = None, db: float = 0.0
) -> Value:
    """The result ``data`` of ``op`` on ``a`` (and ``b``), with da = d(out)/da, db = d(out)/db."""
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


def _power_derivative(x: float, n: float) -> float:
    """d(x**n)/dx = n * x**(n-1); +-inf where only x**(n-1) overflows, as torch (and 1 / x)."""
    if n == 0.0:
        return 0.0  # x**0 = 1 everywhere, which n * x**-1 would break at x = 0
    try:
        return n * x ** (n - 1.0)
    except OverflowError:
        # x < 0 comes with an integer n: x**(n-1) is negative for an odd n - 1
        odd = x < 0.0 and (n - 1.0) % 2.0 == 1.0
        return math.copysign(math.inf, -n if odd else n)


def _checked(x: float, n: float) -> float:
    """x ** n for floats, with an OverflowError that names the operands."""
    try:
        return x**n
    except OverflowError:
        raise OverflowError(f"{x!r} ** {n!r} overflows a float (max about 1.8e308)") from None
