"""Hypothesis strategies and tolerances shared by the test files.

Tolerances are stated once here. Each test file draws its inputs from these strategies;
add new ones at the end of this file.
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Relative tolerance against PyTorch (float64) for scalar Values: the same formula in the same
# precision, so only the last bits may differ.
SCALAR_RTOL = 1e-12
# Array functions and modules against PyTorch.
F64_RTOL, F64_ATOL = 1e-10, 1e-12
F32_RTOL, F32_ATOL = 1e-5, 1e-6

small_floats = st.floats(min_value=-100, max_value=100, allow_nan=False, allow_infinity=False)
positive_floats = st.floats(min_value=1e-3, max_value=100, allow_nan=False, allow_infinity=False)
unit_floats = st.floats(min_value=-1, max_value=1, allow_nan=False, allow_infinity=False)

batch_sizes = st.integers(min_value=1, max_value=64)
widths = st.integers(min_value=1, max_value=100)
float_dtypes = st.sampled_from([np.float32, np.float64])


def arrays(shape, dtype=np.float64, lo: float = -10.0, hi: float = 10.0):
    """Finite arrays of `shape` (a tuple or a strategy of tuples) with values in [lo, hi]."""
    elements = st.floats(
        min_value=lo,
        max_value=hi,
        allow_nan=False,
        allow_infinity=False,
        width=32 if dtype == np.float32 else 64,
    )
    return hnp.arrays(dtype, shape, elements=elements)


@st.composite
def seeds(draw):
    """A seed for numpy's default_rng: random values without hypothesis shrinking floats."""
    return draw(st.integers(min_value=0, max_value=2**32 - 1))


# Parameters of the float32 784-50-10 MLP after 20 optimiser steps, against torch's: the issue's
# "same parameters to 1e-5" (absolute; rounding differences pass through every step).
MLP_STEPS_F32_ATOL = 1e-5

# Scalar engine (tests/package/test_value*.py): an absolute floor for SCALAR_RTOL where a result
# cancels to near zero (1 - tanh(x)**2 for large x: one ulp in tanh is a large relative error),
# and the central-difference check of every operation's derivative.
SCALAR_ATOL = 1e-12
CENTRAL_DIFF_EPS = 1e-6
CENTRAL_DIFF_RTOL, CENTRAL_DIFF_ATOL = 1e-5, 1e-6

# Statistical tests (a sample mean or standard deviation of random draws against its true value):
# how many standard errors an estimate may stray before the test fails. A normal estimate strays
# that far with probability about 2.6e-12, so a run of the suite fails by chance essentially never.
STAT_STANDARD_ERRORS = 7.0


# Computation graphs of scalar Values (tests/package/test_step_backward.py): every operation, nodes
# reused by later operations, and sometimes a long chain. Operations outside their domain
# (log of a negative, division by zero, overflow) are skipped, so every graph is finite.
VALUE_OPS = ("+", "-", "*", "/", "**n", "**v", "neg", "exp", "log", "tanh", "relu", "sigmoid")


def _apply(op: str, a, b, n: float):
    """One operation of VALUE_OPS on Values a (and b; n for the power of a number)."""
    binary = {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "/": a.__truediv__, "**v": a.__pow__}
    if op in binary:
        return binary[op](b)
    if op == "**n":
        return a**n
    return -a if op == "neg" else getattr(a, op)()


@st.composite
def value_graphs(draw, max_ops: int = 12, max_chain: int = 300):
    """(output Value, its leaves): a random graph built from 1-4 labelled leaves."""
    from pybackprop import Value

    coords = st.floats(min_value=-2, max_value=2, allow_nan=False, allow_infinity=False)
    leaves = [Value(draw(coords), label=f"x{i}") for i in range(draw(st.integers(1, 4)))]
    nodes = list(leaves)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(VALUE_OPS))
        a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        try:
            out = _apply(op, a, b, draw(st.sampled_from([2, 3, -1, 0.5])))
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if abs(out.data) < 1e6:
            nodes.append(out)
    out = nodes[-1]
    for _ in range(draw(st.integers(0, max_chain)) if draw(st.booleans()) else 0):
        out = (out * 0.5).tanh() + 0.1  # a deep chain, still finite
    if len(nodes) > 1:
        out = out + draw(st.sampled_from(nodes))  # one more use of an earlier node
    return out, leaves


# Fuzzing (tests/package/test_fuzz_*.py): arrays of any dtype a user might pass, of 0 to 3
# dimensions with 0 to 4 entries per axis, floats including NaN and +-inf. float16 results are
# compared to torch's, which computes in float32 and rounds once: a couple of float16 ulps.
F16_RTOL, F16_ATOL = 2e-3, 1e-3
FUZZ_DTYPES = (
    np.bool_,
    np.int8,
    np.int64,
    np.uint8,
    np.float16,
    np.float32,
    np.float64,
    np.complex128,
    np.object_,
)
FUZZ_EXAMPLES = 60
fuzz_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
# What numpy says when a check is missing: none of it may reach a user.
NUMPY_WORDS = (
    "could not be broadcast",
    "ufunc",
    "zero-size array",
    "out of bounds for",
    "cannot be interpreted",
    "not supported between",
    "has no attribute",
    "truth value",
    "could not convert",
    "mismatch in its core dimension",
    "not understood",
)


def tolerance(dtype) -> tuple[float, float]:
    """(rtol, atol) against torch for results of `dtype`."""
    return {np.float16: (F16_RTOL, F16_ATOL), np.float32: (F32_RTOL, F32_ATOL)}.get(
        np.dtype(dtype).type, (F64_RTOL, F64_ATOL)
    )


@st.composite
def any_arrays(draw, shape=fuzz_shapes, dtypes=FUZZ_DTYPES, finite: bool = False):
    """An array of a drawn dtype and shape; floats with NaN/inf unless `finite`, at most 1e4."""
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    shape = draw(shape) if isinstance(shape, st.SearchStrategy) else shape
    if dtype.kind in "fc":
        width = {2: 16, 4: 32}.get(dtype.itemsize, 64) if dtype.kind == "f" else 64
        nonfinite = not finite and draw(st.booleans())
        elements = st.floats(
            -1e4, 1e4, allow_nan=False, allow_infinity=False, width=width
        ) | st.sampled_from([np.nan, np.inf, -np.inf] if nonfinite else [0.0])
        if dtype.kind == "c":  # real parts drawn, and an imaginary part of 1
            return draw(hnp.arrays(np.float64, shape, elements=elements)) + 1j
        return draw(hnp.arrays(dtype, shape, elements=elements))
    if dtype == np.object_:
        return draw(hnp.arrays(np.float64, shape, elements=st.floats(-10, 10))).astype(object)
    return draw(hnp.arrays(dtype, shape))
