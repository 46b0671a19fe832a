"""pybackprop.exercises, what every check shares: it never raises because of the learner's code,
reports the learner's own line, catches None, zeros, lists, wrong tuple lengths and inputs
modified in place, is deterministic for a seed, and renders safely as text, HTML and Markdown.

The table CHECKS holds, for each check, a correct learner function written with torch (so
that the check's references are compared with torch too) and a wrapper that turns a
one-argument "body" into a function of the check's signature, for the shared tests below.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from strategies import seeds

import pybackprop.nn.functional as F
from pybackprop import exercises as ex
from pybackprop.exercises import CheckResult, FailingCase


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def torch_relu_backward(x, grad_out):
    xt = t(x).requires_grad_()
    torch.relu(xt).backward(t(grad_out))
    return xt.grad.numpy()


def torch_linear_backward(x, weight, bias, grad_out):
    xt, wt, bt = (t(a).requires_grad_() for a in (x, weight, bias))
    (xt @ wt + bt).backward(t(grad_out))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def torch_mse_backward(pred, target):
    pt = t(pred).requires_grad_()
    torch.nn.functional.mse_loss(pt, t(target)).backward()
    return pt.grad.numpy()


def torch_cross_entropy(logits, target):
    return torch.nn.functional.cross_entropy(t(logits), t(target)).item()


def torch_sgd_step(param, grad, velocity, lr, momentum):
    p = torch.nn.Parameter(t(param.copy()))
    p.grad = t(grad.copy())
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum)
    if momentum:
        opt.state[p]["momentum_buffer"] = t(velocity.copy())
    opt.step()
    buf = opt.state[p]["momentum_buffer"] if momentum else p.grad
    return p.detach().numpy(), buf.numpy()


def torch_adam_step(param, grad, m, v, step, lr, betas, eps):
    p = torch.nn.Parameter(t(param.copy()))
    p.grad = t(grad.copy())
    opt = torch.optim.Adam([p], lr=lr, betas=betas, eps=eps, foreach=False)
    opt.state[p] = {
        "step": torch.tensor(float(step - 1)),
        "exp_avg": t(m.copy()),
        "exp_avg_sq": t(v.copy()),
    }
    opt.step()
    state = opt.state[p]
    return p.detach().numpy(), state["exp_avg"].numpy(), state["exp_avg_sq"].numpy()


def torch_kaiming(n_in, n_out, rng):
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    # torch stores weights as (n_out, n_in); its fan_in is then n_in, as here
    w = torch.nn.init.kaiming_normal_(
        torch.empty(n_out, n_in, dtype=torch.float64), nonlinearity="relu", generator=gen
    )
    return w.T.numpy().copy()


def torch_mul_backward(a, b):
    at, bt = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b))
    (at * bt).backward()
    return at.grad.item(), bt.grad.item()


# check, correct function, and how to build a learner function from a body that takes the
# first argument only (the shared tests use bodies that raise, return None, zeros, a list...)
CHECKS = {
    "relu_backward": (
        ex.check_relu_backward,
        torch_relu_backward,
        lambda body: lambda x, g: body(x),
    ),
    "linear_backward": (
        ex.check_linear_backward,
        torch_linear_backward,
        lambda body: lambda x, w, b, g: (body(x), body(w), body(b)),
    ),
    "mse_backward": (ex.check_mse_backward, torch_mse_backward, lambda body: lambda p, y: body(p)),
    "softmax": (ex.check_softmax, lambda x: torch.softmax(t(x), -1).numpy(), lambda body: body),
    "log_softmax": (
        ex.check_log_softmax,
        lambda x: torch.log_softmax(t(x), -1).numpy(),
        lambda body: body,
    ),
    "logsumexp": (
        ex.check_logsumexp,
        lambda x: torch.logsumexp(t(x), -1).numpy(),
        lambda body: lambda x: body(x[:, 0]),
    ),
    "cross_entropy": (
        ex.check_cross_entropy,
        torch_cross_entropy,
        lambda body: lambda x, y: body(x),
    ),
    "sgd_step": (
        ex.check_sgd_step,
        torch_sgd_step,
        lambda body: lambda p, g, v, lr, m: (body(p), body(v)),
    ),
    "adam_step": (
        ex.check_adam_step,
        torch_adam_step,
        lambda body: lambda p, g, m, v, step, lr, b, e: (body(p), body(m), body(v)),
    ),
    "kaiming_init": (
        ex.check_kaiming_init,
        torch_kaiming,
        lambda body: lambda n_in, n_out, rng: body(np.ones((n_in, n_out))),
    ),
    "value_backward_mul": (
        lambda fn, seed=0: ex.check_value_backward("mul", fn, seed=seed),
        torch_mul_backward,
        lambda body: lambda a, b: (body(a), body(b)),
    ),
}
names = pytest.mark.parametrize("name", list(CHECKS))


@names
@settings(max_examples=5)
@given(seed=seeds())
def test_a_correct_function_passes_for_any_seed(name, seed):
    check, good, _ = CHECKS[name]
    result = check(good, seed=seed)
    assert isinstance(result, CheckResult)
    assert result.passed and bool(result), str(result)
    assert result.diagnosis is None and result.case is None and result.n_cases >= 3


def body_that_raises(x):
    scale = np.sum(x) * 0
    return x * scale + undefined_name  # noqa: F821  the learner's bug


@names
def test_an_exception_is_reported_with_the_learners_line(name):
    check, _, make = CHECKS[name]
    result = check(make(body_that_raises))
    assert not result.passed and result.diagnosis == "exception"
    assert "NameError" in result.message and "undefined_name" in result.message
    assert result.learner_line.startswith("line ")
    assert "body_that_raises: return x * scale + undefined_name" in result.learner_line
    assert "return x * scale + undefined_name" in str(result)


def test_an_error_inside_numpy_or_pybackprop_points_at_the_learners_call():
    def calls_numpy(x, weight, bias, grad_out):
        return grad_out @ weight, x.T @ grad_out, grad_out.sum(0)  # the learner's line

    def calls_pybackprop(x):
        return F.softmax(x.astype(np.int64))  # integer input: pybackprop raises TypeError

    result = ex.check_linear_backward(calls_numpy)
    assert "grad_out @ weight, x.T @ grad_out" in result.learner_line
    result = ex.check_softmax(calls_pybackprop)
    assert result.diagnosis == "exception" and "TypeError" in result.message
    assert "F.softmax(x.astype(np.int64))" in result.learner_line


@names
@pytest.mark.parametrize(
    "starter, diagnosis",
    [
        (lambda x: None, "returned_none"),
        (lambda x: np.zeros_like(x), None),
    ],
)
def test_starter_code_fails_cleanly(name, starter, diagnosis):
    check, _, make = CHECKS[name]
    result = check(make(starter))
    assert not result.passed and result.diagnosis is not None
    if diagnosis is not None:
        assert result.diagnosis == diagnosis
    assert str(result).startswith(f"{result.check}: FAILED")


def test_starters_that_return_none_zeros_or_the_wrong_count_are_named():
    assert ex.check_relu_backward(lambda x, g: np.zeros_like(x)).diagnosis == "all_zeros"
    assert ex.check_cross_entropy(lambda x, y: 0.0).diagnosis == "all_zeros"
    assert ex.check_value_backward("tanh", lambda x: None).diagnosis == "returned_none"
    assert ex.check_linear_backward(lambda x, w, b, g: None).diagnosis == "wrong_tuple_length"
    result = ex.check_adam_step(lambda p, g, m, v, step, lr, b, e: (p, m))
    assert result.diagnosis == "wrong_tuple_length" and "3" in result.message
    assert ex.check_relu_backward(lambda x, g: (g, g)).diagnosis == "wrong_type"


@names
def test_a_list_instead_of_an_array_is_named(name):
    if name in ("cross_entropy", "value_backward_mul"):
        return  # these return numbers, not arrays
    check, good, _ = CHECKS[name]

    def as_lists(*args):
        out = good(*args)
        return tuple(o.tolist() for o in out) if isinstance(out, tuple) else out.tolist()

    result = check(as_lists)
    assert not result.passed and result.diagnosis == "returned_list"
    if name != "kaiming_init":  # random weights have no "right numbers" to compare
        assert "Its numbers are right." in result.message


@names
def test_modifying_an_input_in_place_is_named(name):
    check, good, _ = CHECKS[name]

    def scribbles(*args):
        out = good(*args)
        first = next(a for a in args if isinstance(a, np.ndarray))
        first[...] = 0
        return out

    if name in ("kaiming_init", "value_backward_mul"):
        return  # no array inputs to modify
    result = check(scribbles)
    assert not result.passed and result.diagnosis == "modified_input_in_place"


def test_float64_results_from_float32_inputs_pass_with_a_dtype_note():
    result = ex.check_relu_backward(lambda x, g: (g * (x > 0)).astype(np.float64))
    assert result.passed and result.diagnosis == "wrong_dtype"
    assert "float32 input gave a float64 result" in result.message


def test_a_wrong_shape_is_named_and_right_numbers_in_the_wrong_shape_are_said_so():
    result = ex.check_logsumexp(lambda x: F.logsumexp(x, keepdim=True))
    assert result.diagnosis == "wrong_shape" and "The numbers are right" in result.message
    assert "(8, 1)" in result.case.received
    result = ex.check_relu_backward(lambda x, g: (g * (x > 0))[..., :1])
    assert result.diagnosis == "wrong_shape" and "numbers are right" not in result.message


def test_a_non_function_is_a_failed_result_not_an_error():
    result = ex.check_softmax(F.softmax(np.ones((2, 3))))
    assert not result.passed and result.diagnosis == "not_callable"
    assert ex.check_kaiming_init(None).diagnosis == "not_callable"


@names
@settings(max_examples=3)
@given(seed=seeds())
def test_the_report_is_the_same_for_the_same_seed(name, seed):
    check, good, make = CHECKS[name]
    for fn in (good, make(lambda x: x * 1.5)):
        first, second = check(fn, seed=seed), check(fn, seed=seed)
        assert first == second and str(first) == str(second)
        assert first._repr_markdown_() == second._repr_markdown_()


def test_different_seeds_give_different_cases():
    reports = {str(ex.check_mse_backward(lambda p, y: p - y, seed=s)) for s in range(5)}
    assert len(reports) == 5


def test_the_first_failing_case_shows_inputs_expected_received_and_the_largest_error():
    result = ex.check_mse_backward(lambda p, y: p - y)
    text = str(result)
    assert "FAILED [mse_missing_2_over_n]" in text
    case = result.case
    assert case.inputs == (("pred", "shape (5,) float64"), ("target", "shape (5,) float64"))
    assert case.expected.startswith("shape (5,) float64: [")
    assert case.received.startswith("shape (5,) float64: [")
    assert case.largest_error.split()[0] != "0" and "at index" in case.largest_error
    for field in (case.expected, case.received, case.largest_error):
        assert field in text


def test_a_failed_report_lists_the_message_then_the_case_row_by_row():
    result = ex.check_relu_backward(lambda x, grad_out: grad_out)
    assert (result.passed, result.diagnosis) == (False, "missing_relu_mask")
    case = result.case
    assert (case.description, case.output) == ("shape (4, 6), float64", "grad_x")
    assert case.inputs == (("x", "shape (4, 6) float64"), ("grad_out", "shape (4, 6) float64"))
    lines = str(result).splitlines()
    assert lines[0] == "check_relu_backward: FAILED [missing_relu_mask]"
    assert lines[1].startswith("  grad_x: this is grad_out unchanged: no mask at all.")
    assert "  case              : shape (4, 6), float64" in lines


def test_a_case_shows_only_the_rows_it_knows():
    assert FailingCase("n 1, float64", (("x", "shape (1,) float64"),)).lines() == [
        ("case", "n 1, float64"),
        ("input x", "shape (1,) float64"),
    ]
    full = FailingCase("n 1", (), "grad", "e", "r", "0.5 at index (0,)")
    assert full.lines() == [
        ("case", "n 1"),
        ("expected (grad)", "e"),
        ("received (grad)", "r"),
        ("largest error", "0.5 at index (0,)"),
    ]


def test_overflows_warn_nothing_and_raise_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = ex.check_logsumexp(lambda x: np.log(np.exp(x).sum(-1)))
    assert result.diagnosis == "no_max_subtracted"


def hostile(x):
    raise ValueError("<script>alert('x')</script> ``` **bold** & more")


def test_learner_text_is_kept_literal_in_markdown():
    result = ex.check_softmax(hostile)
    assert not hasattr(result, "_repr_html_"), "an HTML output makes Quarto load a CDN script"
    md = result._repr_markdown_()
    fence = md.split("\n")[2]
    assert fence.startswith("````") and fence.endswith("text")  # longer than the ``` inside
    body = md.split(fence, 1)[1]
    assert "<script>alert('x')</script> ``` **bold**" in body
    assert md.rstrip().endswith(fence[: -len("text")])


def test_a_passed_result_renders_short_in_every_form():
    result = ex.check_softmax(lambda x: torch.softmax(t(x), -1).numpy())
    assert str(result).splitlines()[0] == f"check_softmax: passed ({result.n_cases} cases)"
    assert result._repr_markdown_().startswith("**✔ check\\_softmax: passed")
    assert repr(result) == str(result)


def test_exercises_are_not_imported_by_pybackprop_and_do_not_import_torch():
    code = (
        "import sys, pybackprop; assert 'pybackprop.exercises' not in sys.modules; "
        "import pybackprop.exercises; assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_checks_leave_numpys_global_random_state_alone():
    # the legacy global state is what a learner's np.random.seed(...) would rely on
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    ex.check_kaiming_init(torch_kaiming)
    ex.check_softmax(F.softmax)
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


@pytest.mark.parametrize(
    "returned",
    [
        np.array([object()]),
        np.ones(3, dtype=complex),
        np.array(["a"]),
        "abc",
        {"a": 1},
        (i for i in range(3)),
        object(),
        np.complex128(1),
        1j,
    ],
)
def test_odd_return_values_are_a_wrong_type_with_a_deterministic_report(returned):
    for check in (ex.check_softmax, ex.check_cross_entropy):
        fn = (lambda x: returned) if check is ex.check_softmax else (lambda x, y: returned)
        first, second = check(fn), check(fn)
        assert first.diagnosis == "wrong_type" and str(first) == str(second)
        assert " at 0x" not in str(first)
