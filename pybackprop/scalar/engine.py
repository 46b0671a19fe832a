"""`Value`: a scalar that remembers how it was computed, so it can back-propagate.

Every operation below builds one new node and, right next to its forward value, states the
local derivative of that value with respect to each input. `backward()` then applies the chain
rule once per edge, walking the graph from the output back to the leaves.

Unlike micrograd, a node stores its parents and local derivatives as plain data (two tuples),
not as a closure that refers back to the node itself. So no node sits in a reference cycle:
a graph you drop is freed at once by reference counting, and the garbage collector has nothing
to untangle.

Numbers and errors:

- Constants may be Python ints, floats or bools, numpy integer and floating scalars
  (`np.float64`, `np.int64`, `np.float32`, ...) or any `numbers.Real`; they become leaf Values.
  Anything else (`"3"`, `None`, `[1]`, a numpy array) is a TypeError that names its type.
- Operations outside their domain raise at once and name the value: `log` of x <= 0
  (ValueError), division by zero and `0 ** negative` (ZeroDivisionError), a negative base with
  a non-integer exponent (ValueError: the result would be complex), a result too large for a
  float (OverflowError).
- A Value may hold `nan` or `inf` (you can create one, and `+`, `-`, `*` overflow to `inf` as
  floats do), but `backward()` refuses to start from a non-finite output: it raises
  FloatingPointError before touching any `.grad`, because every gradient it would write is
  meaningless. (PyTorch propagates the NaNs instead; a silent NaN is harder to debug.)
"""

from __future__ import annotations

import math
from numbers import Real


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
    """`x` as a float if it is a real number (numpy scalars included), else a clear TypeError."""
    if isinstance(x, Real):
        return float(x)
    hint = " (use .item() to get a number out of a numpy array)" if hasattr(x, "shape") else ""
    raise TypeError(
        f"Value needs a real number (int, float or numpy scalar), "
        f"got {type(x).__name__}: {x!r}{hint}"
    )


class Value:
    """A scalar in a computation graph.

    Attributes:
        data: the number (a float).
        grad: d(output)/d(this Value), filled in by `output.backward()`; 0.0 at first.
        label: a name shown by `to_dot`/`draw_graph` ("" unless you set it).
        op: the operation that produced this Value ("" for a leaf, e.g. "+", "tanh", "**2").
        parents: the Values it was computed from (an empty tuple for a leaf).
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "_local_grads", "__weakref__")

    def __init__(
        self,
        data: float,
        label: str = "",
        _parents: tuple[Value, ...] = (),
        _local_grads: tuple[float, ...] = (),
        _op: str = "",
    ) -> None:
        # Operations always pass a float, so the check costs one comparison on the hot path.
        if type(data) is not float:
            data = _number(data)
        if type(label) is not str:
            raise TypeError(f"label must be a str, got {type(label).__name__}: {label!r}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = _op
        self.parents = _parents
        # d(self)/d(parent) for each parent, in the same order as `parents`.
        self._local_grads = _local_grads

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # ---- binary operations: d(out)/d(self), d(out)/d(other) stated with each result ----

    def __add__(self, other: Value | float) -> Value:
        other = other if type(other) is Value else _constant(other)
        if other is NotImplemented:
            return NotImplemented
        return Value(self.data + other.data, "", (self, other), (1.0, 1.0), "+")

    def __sub__(self, other: Value | float) -> Value:
        other = other if type(other) is Value else _constant(other)
        if other is NotImplemented:
            return NotImplemented
        return Value(self.data - other.data, "", (self, other), (1.0, -1.0), "-")

    def __mul__(self, other: Value | float) -> Value:
        other = other if type(other) is Value else _constant(other)
        if other is NotImplemented:
            return NotImplemented
        a, b = self.data, other.data
        return Value(a * b, "", (self, other), (b, a), "*")

    def __truediv__(self, other: Value | float) -> Value:
        other = other if type(other) is Value else _constant(other)
        if other is NotImplemented:
            return NotImplemented
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {self!r} / {other!r}")
        # out = a / b:  d/da = 1 / b,  d/db = -a / b**2
        return Value(a / b, "", (self, other), (1.0 / b, -a / (b * b)), "/")

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
        return Value(out, "", (self,), (local,), f"**{n:g}")

    def _pow_value(self, other: Value) -> Value:
        x, y = self.data, other.data
        if x <= 0.0:
            raise ValueError(
                f"a Value exponent needs a positive base (x**y = exp(y * log x)): "
                f"{self!r} ** {other!r}"
            )
        out = _checked(x, y)
        # out = x**y:  d/dx = y * x**(y-1),  d/dy = x**y * log(x)
        return Value(out, "", (self, other), (y * _checked(x, y - 1.0), out * math.log(x)), "**")

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
        return Value(-self.data, "", (self,), (-1.0,), "neg")

    # ---- functions of one Value ----

    def exp(self) -> Value:
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp overflows a float (max about 1.8e308): {self!r}") from None
        return Value(out, "", (self,), (out,), "exp")  # d/dx exp(x) = exp(x)

    def log(self) -> Value:
        x = self.data
        if not x > 0.0:
            raise ValueError(f"log needs a positive number: log of {self!r}")
        return Value(math.log(x), "", (self,), (1.0 / x,), "log")  # d/dx log(x) = 1/x

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, "", (self,), (1.0 - t * t,), "tanh")  # d/dx tanh(x) = 1 - tanh(x)**2

    def relu(self) -> Value:
        # The derivative at exactly 0 is taken as 0, as PyTorch does; relu(nan) stays nan.
        x = self.data
        return Value(0.0 if x < 0.0 else x, "", (self,), (1.0 if x > 0.0 else 0.0,), "relu")

    def sigmoid(self) -> Value:
        # Written so that exp never overflows: exp(-|x|) <= 1.
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return Value(s, "", (self,), (s * (1.0 - s),), "sigmoid")  # d/dx s(x) = s(x)(1 - s(x))

    # ---- back-propagation ----

    def backward(self, grad: float = 1.0) -> None:
        """Add d(self)/d(node) * grad to `.grad` of every node this Value was computed from.

        `grad` seeds the output's gradient (1.0 by default, like PyTorch's `backward()` on a
        scalar). Gradients accumulate across calls, as PyTorch's leaf `.grad` does: call
        `zero_grad()` (on the output, or on a network) to start again.

        Raises FloatingPointError, without changing any `.grad`, if this Value or `grad` is
        nan or inf.
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
        # through the graph: set the old totals aside, and add each back once its node is done.
        previous = [node.grad for node in order]
        if any(previous):
            for node in order:
                node.grad = 0.0
        self.grad = grad
        # Reverse topological order: a node's gradient is complete before it is passed on.
        for node, old in zip(reversed(order), reversed(previous), strict=True):
            g = node.grad
            for parent, local in zip(node.parents, node._local_grads, strict=True):
                parent.grad += local * g
            node.grad = g + old

    def zero_grad(self) -> None:
        """Set `.grad` to 0.0 on this Value and on every Value it was computed from."""
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
                stack.extend(node.parents)
        return order


def _checked(x: float, n: float) -> float:
    """x ** n for floats, with an OverflowError that names the operands."""
    try:
        return x**n
    except OverflowError:
        raise OverflowError(f"{x!r} ** {n!r} overflows a float (max about 1.8e308)") from None
