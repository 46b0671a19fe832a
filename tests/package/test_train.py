"""The training loop: fit, History, the progress output and the NaN-loss error."""

import math
import sys

import matplotlib
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import pybackprop.nn.functional as F
from pybackprop import nn, optim, train
from pybackprop.data import DataLoader, load_mnist
from tests.refusals import assert_refused_alone

matplotlib.use("Agg")


def mlp(seed: int = 0, n_out: int = 10) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(784, 50, rng=rng), nn.ReLU(), nn.Linear(50, n_out, rng=rng))


def small_classification(seed: int, n: int, batch_size: int):
    """A few random rows of 784 features and 10 classes, as loaders."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 784)).astype(np.float32)
    y = rng.integers(0, 10, size=n)
    return DataLoader(x, y, batch_size, shuffle=True, rng=seed), DataLoader(x, y, 7)


def test_fit_reaches_90_percent_on_mnist_sample():
    x_train, y_train, x_valid, y_valid = load_mnist()
    train_dl = DataLoader(x_train, y_train, batch_size=64, shuffle=True, rng=0)
    valid_dl = DataLoader(x_valid, y_valid, batch_size=500)
    model = mlp(seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    hist = train.fit(
        model, nn.CrossEntropyLoss(), opt, train_dl, valid_dl, epochs=3, progress=False
    )
    assert max(hist.accuracy) >= 0.90
    # the recorded accuracy is the model's: recompute it on the whole validation set
    assert hist.accuracy[-1] == pytest.approx(float(F.accuracy(model(x_valid), y_valid)))


def test_fit_step_is_the_hand_written_loop():
    train_dl, _ = small_classification(seed=1, n=100, batch_size=16)
    model, by_hand = mlp(seed=2), mlp(seed=2)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), 1e-2)
    opt_by_hand = optim.Adam(by_hand.parameters(), 1e-2)
    train.fit(model, loss_fn, opt, train_dl, epochs=2, progress=False)
    replay = DataLoader(train_dl.x, train_dl.y, 16, shuffle=True, rng=1)
    for _ in range(2):
        for xb, yb in replay:
            loss_fn(by_hand(xb), yb)
            by_hand.backward(loss_fn.backward())
            opt_by_hand.step()
            opt_by_hand.zero_grad()
    for p, q in zip(model.parameters(), by_hand.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
        assert p.grad is None and q.grad is None  # each step ends in zero_grad(), as torch's


class HandWrittenLinear:
    """A lesson-13-style model that is not an nn.Module: __call__, backward(grad), parameters."""

    def __init__(self, layer: nn.Linear):
        self.layer = layer

    def __call__(self, x):
        return self.layer(x)

    def backward(self, grad):
        return self.layer.backward(grad)


def test_fit_trains_a_hand_written_model_like_the_module():
    module, hand = nn.Linear(784, 10, rng=15), nn.Linear(784, 10, rng=15)
    loss_fn = nn.CrossEntropyLoss()
    for model, params in (
        (module, module.parameters()),
        (HandWrittenLinear(hand), hand.parameters()),
    ):
        train_dl, _ = small_classification(seed=15, n=40, batch_size=8)
        train.fit(model, loss_fn, optim.SGD(params, 0.1), train_dl, epochs=2, progress=False)
    np.testing.assert_array_equal(module.weight.data, hand.weight.data)


@given(
    seed=st.integers(0, 2**16),
    n=st.integers(min_value=1, max_value=60),
    batch_size=st.integers(min_value=1, max_value=25),
    epochs=st.integers(min_value=1, max_value=3),
)
@settings(max_examples=15)
def test_history_lengths_and_epoch_means_are_consistent(seed, n, batch_size, epochs):
    train_dl, valid_dl = small_classification(seed, n, batch_size)
    model = mlp(seed)
    hist = train.fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), 0.01),
        train_dl,
        valid_dl,
        epochs=epochs,
        progress=False,
    )
    steps = len(train_dl)
    assert len(hist.step_loss) == len(hist.lr) == epochs * steps
    for per_epoch in (hist.train_loss, hist.valid_loss, hist.accuracy, hist.epoch_time):
        assert len(per_epoch) == epochs
    # each epoch's train loss is the row-weighted mean of its step losses
    rows = [len(xb) for xb, _ in train_dl]
    for e in range(epochs):
        losses = hist.step_loss[e * steps : (e + 1) * steps]
        assert hist.train_loss[e] == pytest.approx(np.average(losses, weights=rows))
    assert hist.epochs == epochs
    plural = {1: ""}
    head = f"History: {epochs} epoch{plural.get(epochs, 's')}, {epochs * steps} step"
    assert repr(hist).splitlines()[0] == head + plural.get(epochs * steps, "s")


def test_history_repr_is_the_table_of_epochs():
    hist = train.History(
        step_loss=[2.3, 1.9, 1.2, 0.9],
        lr=[0.1, 0.1, 0.1, 0.1],
        train_loss=[2.1, 1.05],
        valid_loss=[1.5, 1.0],
        accuracy=[0.6, 0.75],
        epoch_time=[0.02, 0.02],
        validated=True,
    )
    assert hist.epochs == 2
    assert repr(hist) == (
        "History: 2 epochs, 4 steps\n"
        "epoch  train_loss  valid_loss  accuracy   time\n"
        "    1    2.100000    1.500000    0.6000  0.02s\n"
        "    2    1.050000    1.000000    0.7500  0.02s"
    )
    assert repr(train.History()) == "History(no epochs yet)"
    with pytest.raises(ValueError, match="no steps and no epochs"):
        train.History().plot()


def test_history_shows_a_nan_validation_loss_rather_than_hiding_its_column():
    hist = train.History(
        step_loss=[2.3], lr=[0.1], train_loss=[2.3], valid_loss=[math.nan], accuracy=[0.0],
        epoch_time=[0.02], validated=True,
    )  # fmt: skip
    assert repr(hist).splitlines()[1:] == [
        "epoch  train_loss  valid_loss  accuracy   time",
        "    1    2.300000         nan    0.0000  0.02s",
    ]


def test_valid_metrics_equal_a_direct_evaluation():
    train_dl, valid_dl = small_classification(seed=3, n=50, batch_size=10)
    model = mlp(seed=3)
    loss_fn = nn.CrossEntropyLoss()
    hist = train.fit(
        model, loss_fn, optim.SGD(model.parameters(), 0.05), train_dl, valid_dl, progress=False
    )
    x, y = valid_dl.x, valid_dl.y
    assert hist.valid_loss[0] == pytest.approx(float(F.cross_entropy(model(x), y)), rel=1e-5)
    assert hist.accuracy[0] == pytest.approx(float(F.accuracy(model(x), y)))


def test_regression_records_nan_accuracy():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 784)).astype(np.float32)
    y = rng.normal(size=(40, 1)).astype(np.float32)
    model = mlp(seed=4, n_out=1)
    hist = train.fit(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), 1e-3),
        DataLoader(x, y, 8),
        DataLoader(x, y, 8),
        epochs=2,
        progress=False,
    )
    assert all(math.isnan(a) for a in hist.accuracy)
    assert all(math.isfinite(v) for v in hist.valid_loss)
    assert [row.split()[3] for row in repr(hist).splitlines()[1:]] == ["accuracy", "-", "-"]
    assert len(hist.plot()) == 1  # no accuracy panel


def test_history_repr_has_the_columns_and_cells_of_fit_s_printed_table(capsys):
    """In regression too: fit prints an accuracy column of -, and so does the repr."""
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(40, 784)).astype(np.float32), rng.normal(size=(40, 1))
    model = mlp(seed=4, n_out=1)
    dl = DataLoader(x, y.astype(np.float32), 8)
    hist = train.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), 1e-3), dl, dl, epochs=2)
    printed = [line.split("\r")[-1].split() for line in capsys.readouterr().out.splitlines()]
    table = [row.split() for row in repr(hist).splitlines()[1:]]
    assert table[0] == printed[0] == ["epoch", "train_loss", "valid_loss", "accuracy", "time"]
    # The times differ only because fit's table is built before the epoch's time is final.
    assert [row[:4] for row in table[1:]] == [
        row[:4] for row in printed if row[:1] in (["1"], ["2"])
    ]


def test_history_s_docstring_example_shows_missing_values_as_a_dash():
    hist = train.History(step_loss=[2.3, 1.9], lr=[0.1, 0.1], train_loss=[2.1])
    assert repr(hist) == (
        "History: 1 epoch, 2 steps\nepoch  train_loss  time\n    1    2.100000     -"
    )


@pytest.mark.parametrize(
    "lists",
    [
        {"accuracy": [0.5], "validated": True},
        {"train_loss": [1.0, 2.0], "valid_loss": [1.0], "epoch_time": [0.1, 0.2, 0.3]},
        {"train_loss": [1.0], "accuracy": [0.5, 0.6], "validated": True},
    ],
)
def test_any_history_has_a_repr_and_a_plot(lists):
    hist = train.History(step_loss=[1.0, 0.5], **lists)
    lines = repr(hist).splitlines()
    assert len({len(line) for line in lines[1:]}) == 1, "an aligned table"
    assert len(hist.plot()) == 1 + ("accuracy" in lists)


def test_without_valid_dl_valid_loss_and_accuracy_are_nan():
    train_dl, _ = small_classification(seed=5, n=30, batch_size=10)
    model = mlp(seed=5)
    hist = train.fit(
        model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), 0.01), train_dl, progress=False
    )
    assert math.isnan(hist.valid_loss[0]) and math.isnan(hist.accuracy[0])


class PoisonedLoader:
    """Re-iterable batches; the batch at (epoch, step), both from 1, holds an inf feature."""

    def __init__(self, x, y, batch_size, epoch, step):
        self.batches = [
            (x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(x), batch_size)
        ]
        self.poison, self.epoch = (epoch, step), 0

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        self.epoch += 1
        for step, (xb, yb) in enumerate(self.batches, start=1):
            if (self.epoch, step) == self.poison:
                xb = xb.copy()
                xb[0, 0] = np.inf
            yield xb, yb


@given(epoch=st.integers(1, 3), step=st.integers(1, 5))
@settings(max_examples=10)
def test_nan_loss_error_names_epoch_and_step(epoch, step):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(50, 784)).astype(np.float32)
    dl = PoisonedLoader(x, rng.integers(0, 10, size=50), 10, epoch, step)
    model = mlp(seed=6)
    opt = optim.SGD(model.parameters(), 0.01)
    with pytest.raises(train.NonFiniteLossError) as info:
        train.fit(model, nn.CrossEntropyLoss(), opt, dl, epochs=3, progress=False)
    err = info.value
    assert isinstance(err, FloatingPointError)
    assert (err.epoch, err.step) == (epoch, step)
    assert f"epoch {epoch}, step {step} of 5" in str(err)
    assert "smaller learning rate" in str(err)
    assert np.isfinite(model[0].weight.data).all(), "the bad step must not touch the weights"
    assert len(err.history.step_loss) == 5 * (epoch - 1) + step - 1


def test_the_history_of_a_divergence_places_its_steps_and_names_the_unfinished_epoch():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(40, 784)).astype(np.float32)
    for epoch, step, head, xs in [
        (2, 3, "History: 1 epoch, 6 steps (2 of them in unfinished epoch 2)", np.arange(1, 7) / 4),
        (1, 3, "History: 2 steps of epoch 1, no finished epoch", [0.25, 0.5]),
    ]:
        dl = PoisonedLoader(x, rng.integers(0, 10, size=40), 10, epoch, step)
        model = mlp(seed=6)
        with pytest.raises(train.NonFiniteLossError) as info:
            train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), 0.01), dl,
                      epochs=3, progress=False)  # fmt: skip
        hist = info.value.history
        assert repr(hist).splitlines()[0] == head
        (ax,) = hist.plot()
        steps = ax.get_lines()[0]
        assert list(steps.get_ydata()) == hist.step_loss
        np.testing.assert_allclose(steps.get_xdata(), xs)  # step k at k / 4 epochs
        assert ax.get_xlabel() == "epoch"
        ax.figure.clear()


def test_diverging_learning_rate_raises_nan_loss_error():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 784)).astype(np.float32)
    y = rng.normal(size=(64, 1)).astype(np.float32) * 100
    model = mlp(seed=7, n_out=1)
    with pytest.raises(train.NonFiniteLossError, match="lr was 1e\\+06"):
        train.fit(
            model,
            nn.MSELoss(),
            optim.SGD(model.parameters(), 1e6),
            DataLoader(x, y, 8),
            epochs=50,
            progress=False,
        )


def test_progress_false_prints_nothing(capsys):
    train_dl, valid_dl = small_classification(seed=8, n=40, batch_size=10)
    model = mlp(seed=8)
    train.fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), 0.01),
        train_dl,
        valid_dl,
        epochs=2,
        progress=False,
    )
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_progress_in_a_terminal_prints_one_table_row_per_epoch(capsys):
    train_dl, valid_dl = small_classification(seed=9, n=40, batch_size=10)
    model = mlp(seed=9)
    hist = train.fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), 0.01),
        train_dl,
        valid_dl,
        epochs=2,
    )
    out, err = capsys.readouterr()
    lines = [line.split("\r")[-1] for line in out.split("\n")]
    assert lines[0].split() == ["epoch", "train_loss", "valid_loss", "accuracy", "time"]
    rows = [line.split() for line in lines if line.split()[:1] in (["1"], ["2"])]
    assert [r[:4] for r in rows] == [
        [
            str(e + 1),
            f"{hist.train_loss[e]:.6f}",
            f"{hist.valid_loss[e]:.6f}",
            f"{hist.accuracy[e]:.4f}",
        ]
        for e in range(2)
    ]
    assert err == ""


NOTEBOOK_FIT = """
import numpy as np
from pybackprop import nn, optim, train
from pybackprop.data import DataLoader
rng = np.random.default_rng(0)
x = rng.normal(size=(60, 784)).astype(np.float32)
y = rng.integers(0, 10, size=60)
model = nn.Sequential(nn.Linear(784, 50, rng=0), nn.ReLU(), nn.Linear(50, 10, rng=1))
hist = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), 0.01),
                 DataLoader(x, y, 16), DataLoader(x, y, 30), epochs=2)
"""


def test_progress_in_a_notebook_leaves_a_markdown_table_and_no_html():
    """What a rendered page shows: one table, one row per epoch, no warnings, and no HTML or
    JavaScript output (Quarto would load require.js and jQuery from a CDN for it)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(NOTEBOOK_FIT)]
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o["output_type"] == "stream"], "nothing may be printed"
    kinds = {kind for o in outputs for kind in o.get("data", {})}
    assert not kinds & {"text/html", "application/javascript"}, kinds
    (table,) = [o["data"]["text/markdown"] for o in outputs if "text/markdown" in o["data"]]
    lines = table.strip().splitlines()
    assert lines[0].split("|")[1].strip() == "epoch" and len(lines) == 4  # header, rule, 2 rows
    assert [line.split("|")[1].strip() for line in lines[2:]] == ["1", "2"]
    assert "<progress" not in table, "the finished bar should leave only the table"


def test_progress_needs_no_package_outside_the_standard_library(monkeypatch, capsys):
    # The bar is the module's own: training shows it with IPython and fastprogress absent.
    for name in ("IPython", "fastprogress", "tqdm"):
        monkeypatch.setitem(sys.modules, name, None)
    train_dl, _ = small_classification(seed=10, n=10, batch_size=5)
    model = mlp(seed=10)
    train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), 0.01), train_dl)
    out = capsys.readouterr().out
    assert "[" + "#" * train._Bars.WIDTH + "]" in out and "\r" in out


def test_fit_steps_the_one_cycle_schedule_like_torch():
    train_dl, _ = small_classification(seed=11, n=50, batch_size=8)
    epochs = 3
    total = epochs * len(train_dl)
    model = mlp(seed=11)
    opt = optim.SGD(model.parameters(), 0.01, momentum=0.9)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=total)
    hist = train.fit(
        model, nn.CrossEntropyLoss(), opt, train_dl, epochs=epochs, progress=False, sched=sched
    )
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], 0.01, momentum=0.9)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.05, total_steps=total)
    torch_lrs = []
    for _ in range(total):
        torch_lrs.append(topt.param_groups[0]["lr"])
        topt.step()
        tsched.step()
    np.testing.assert_allclose(hist.lr, torch_lrs, rtol=1e-12)


def test_plot_draws_the_recorded_curves():
    train_dl, valid_dl = small_classification(seed=12, n=40, batch_size=10)
    model = mlp(seed=12)
    hist = train.fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), 0.01),
        train_dl,
        valid_dl,
        epochs=2,
        progress=False,
    )
    loss_ax, acc_ax = hist.plot()
    ys = [list(line.get_ydata()) for line in loss_ax.get_lines()]
    assert hist.step_loss in ys and hist.train_loss in ys and hist.valid_loss in ys
    assert list(acc_ax.get_lines()[0].get_ydata()) == hist.accuracy
    assert loss_ax.figure is acc_ax.figure
    # The epoch means at mid-epoch (they average the weights of the whole epoch); the validation
    # loss and accuracy at the epoch's end, where they are measured.
    xs = {tuple(line.get_ydata()): list(line.get_xdata()) for line in loss_ax.get_lines()}
    assert xs[tuple(hist.train_loss)] == [0.5, 1.5]
    assert xs[tuple(hist.valid_loss)] == [1, 2]
    assert list(acc_ax.get_lines()[0].get_xdata()) == [1, 2]


@pytest.mark.parametrize(
    "accuracy",
    [[0.9215, 0.9295, 0.931], [0.5, 0.5], [0.995, 1.0], [0.0, 0.002], [0.2, 0.9]],
)
def test_plot_accuracy_axis_is_never_a_magnifying_glass(accuracy):
    """A change of a few examples in 2,000 fills a tenth of the panel at most; all points show."""
    epochs = len(accuracy)
    hist = train.History(
        step_loss=[1.0, 0.9] * epochs,
        train_loss=[0.95] * epochs,
        valid_loss=[0.9] * epochs,
        accuracy=accuracy,
        epoch_time=[0.1] * epochs,
    )
    _, acc_ax = hist.plot()
    low, high = acc_ax.get_ylim()
    assert 0.0 <= low <= min(accuracy) and max(accuracy) <= high <= 1.0
    assert high - low >= 0.1 - 1e-12
    acc_ax.figure.clear()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(epochs=0), ValueError, "epochs must be a positive integer, got 0"),
        (dict(epochs=1.5), TypeError, "got 1.5"),
        (dict(epochs="2"), TypeError, "epochs must be a positive integer, got '2'"),
    ],
)
def test_bad_epochs_is_an_error(kwargs, error, match):
    train_dl, _ = small_classification(seed=13, n=10, batch_size=5)
    model = mlp(seed=13)
    with pytest.raises(error, match=match):
        train.fit(
            model,
            nn.CrossEntropyLoss(),
            optim.SGD(model.parameters(), 0.01),
            train_dl,
            progress=False,
            **kwargs,
        )


def test_train_dl_without_len_or_batches_is_an_error():
    model = mlp(seed=14)
    opt = optim.SGD(model.parameters(), 0.01)
    batches = ((np.zeros((2, 784), np.float32), np.zeros(2, np.int64)) for _ in range(3))
    with pytest.raises(TypeError, match="re-iterable with a len"):
        train.fit(model, nn.CrossEntropyLoss(), opt, batches, progress=False)
    with pytest.raises(ValueError, match="no batches"):
        train.fit(model, nn.CrossEntropyLoss(), opt, [], progress=False)


def test_an_optimiser_on_another_model_s_parameters_is_refused_before_any_step():
    train_dl, _ = small_classification(seed=15, n=10, batch_size=5)
    model, other = mlp(seed=15), mlp(seed=16)
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(
        ValueError, match=r"none of the optimiser's 4 parameters is one of the"
    ) as e:
        train.fit(model, nn.CrossEntropyLoss(), optim.SGD(other.parameters(), 0.1), train_dl,
                  progress=False)  # fmt: skip
    assert "(784, 50)" in str(e.value) and "SGD(model.parameters(), ...)" in str(e.value)
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before, strict=True))
    mixed = [*model.parameters()[:2], *other.parameters()[2:]]
    with pytest.raises(ValueError, match=r"2 of the optimiser's 4 parameters are not the model's"):
        train.fit(model, nn.CrossEntropyLoss(), optim.Adam(mixed), train_dl, progress=False)


def test_an_optimiser_on_some_of_the_model_s_parameters_freezes_the_others():
    train_dl, _ = small_classification(seed=17, n=10, batch_size=5)
    model = mlp(seed=17)
    first = [p.data.copy() for p in model.parameters()[:2]]
    opt = optim.SGD(model.parameters()[2:], 0.1)
    train.fit(model, nn.CrossEntropyLoss(), opt, train_dl, progress=False)
    assert all(
        np.array_equal(p.data, f) for p, f in zip(model.parameters()[:2], first, strict=True)
    )


class Batches:
    """Re-iterable fixed batches with a len(): the rows of x and y cut at `cuts`."""

    def __init__(self, x, y, cuts):
        edges = [0, *cuts, len(x)]
        self.batches = [(x[a:b], y[a:b]) for a, b in zip(edges, edges[1:], strict=False)]

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        return iter(self.batches)


def fit_call(**change):
    """A fit that runs cleanly on 20 rows in 4 batches, with `change` applied to its arguments."""
    rng = np.random.default_rng(21)
    x = rng.normal(size=(20, 784)).astype(np.float32)
    y = rng.integers(0, 10, size=20)
    model = mlp(seed=21)
    opt = optim.SGD(model.parameters(), 0.01, momentum=0.9)
    inf_x = x.copy()
    inf_x[0, 0] = np.inf
    extras = {  # built only when asked for: a schedule sets opt.lr when built
        "empty_train": lambda: Batches(x, y, [5, 5, 10]),  # batch 2 of 4 has 0 rows
        "empty_valid": lambda: Batches(x, y, [0]),
        "inf_train": lambda: DataLoader(inf_x, y, 5),
        "inf_valid": lambda: DataLoader(inf_x, y, 5),
        "short_sched": lambda: optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=7),
        "other_opt_sched": lambda: optim.lr_scheduler.OneCycleLR(
            optim.SGD(model.parameters(), 0.01, momentum=0.9), max_lr=0.1, total_steps=8
        ),
    }
    kwargs = dict(train_dl=DataLoader(x, y, 5), valid_dl=DataLoader(x, y, 10), epochs=2)
    for key, value in change.items():
        kwargs[key] = extras[value]() if isinstance(value, str) else value
    return train.fit(model, nn.CrossEntropyLoss(), opt, progress=False, **kwargs)


# input -> (exception type, words its message must hold); each row's words only in its error
FIT_REFUSALS = {
    "epochs=0": (dict(epochs=0), ValueError, "epochs must be a positive integer, got 0"),
    "0-row train batch": (
        dict(train_dl="empty_train"),
        ValueError,
        "train_dl yielded an empty batch (0 rows) at epoch 1, step 2 of 4",
    ),
    "0-row valid batch": (
        dict(valid_dl="empty_valid"),
        ValueError,
        "valid_dl yielded an empty batch (0 rows) at batch 1",
    ),
    "inf in the training data": (
        dict(train_dl="inf_train"),
        train.NonFiniteLossError,
        "the training loss became nan at epoch 1, step 1 of 4",
    ),
    "inf in the validation data": (
        dict(valid_dl="inf_valid"),
        train.NonFiniteLossError,
        "the validation loss became nan after epoch 1",
    ),
    "schedule too short": (
        dict(sched="short_sched"),
        ValueError,
        "the schedule has 7 steps left (total_steps=7) but fit takes epochs * len(train_dl) "
        "= 2 * 4 = 8 steps. Build it with total_steps=8",
    ),
    "schedule on another optimiser": (
        dict(sched="other_opt_sched"),
        ValueError,
        "sched was built on another optimiser (SGD), not on opt",
    ),
}


@pytest.mark.parametrize("name", FIT_REFUSALS)
def test_fit_refuses_each_mistake_with_its_own_message(name):
    err = assert_refused_alone(FIT_REFUSALS, name, lambda change: fit_call(**change))
    assert "diverged" not in str(err) or type(err) is train.NonFiniteLossError


def test_the_fit_the_refusals_start_from_runs_cleanly():
    assert fit_call().epochs == 2


def test_a_non_finite_validation_loss_stops_fit_and_the_table_shows_nan(capsys):
    with pytest.raises(train.NonFiniteLossError) as info:
        fit_call(valid_dl="inf_valid")
    err = info.value
    assert isinstance(err, FloatingPointError) and (err.epoch, err.step) == (1, None)
    assert math.isnan(err.loss) and "smaller learning rate (lr was 0.01)" in str(err)
    assert err.history.epochs == 1 and math.isnan(err.history.valid_loss[0])
    assert repr(err.history).splitlines()[2].split()[2] == "nan"  # not hidden, not "-"


def test_a_schedule_that_already_took_steps_counts_only_those_left():
    model = mlp(seed=22)
    opt = optim.SGD(model.parameters(), 0.01, momentum=0.9)
    train_dl, _ = small_classification(seed=22, n=20, batch_size=5)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=12)
    train.fit(model, nn.CrossEntropyLoss(), opt, train_dl, epochs=2, progress=False, sched=sched)
    with pytest.raises(ValueError, match=r"4 steps left \(total_steps=12, 8 already taken\)"):
        train.fit(model, nn.CrossEntropyLoss(), opt, train_dl, epochs=2, progress=False,
                  sched=sched)  # fmt: skip
    hist = train.fit(model, nn.CrossEntropyLoss(), opt, train_dl, progress=False, sched=sched)
    assert len(hist.lr) == 4


def test_a_schedule_on_an_optimiser_built_again_is_refused_before_any_step():
    """A notebook cell run again makes a new opt; the schedule still holds the old one."""
    model = mlp(seed=23)
    train_dl, _ = small_classification(seed=23, n=20, batch_size=5)
    old = optim.SGD(model.parameters(), 0.01, momentum=0.9)
    sched = optim.lr_scheduler.OneCycleLR(old, max_lr=0.1, total_steps=4)
    opt = optim.SGD(model.parameters(), 0.01, momentum=0.9)
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError) as info:
        train.fit(model, nn.CrossEntropyLoss(), opt, train_dl, progress=False, sched=sched)
    message = str(info.value)
    assert "constant lr=0.01" in message and "OneCycleLR(opt, ...)" in message
    assert "steps left" not in message and "parameters" not in message
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before, strict=True))
    assert sched.step_num == 0  # the schedule was not stepped either
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=4)
    hist = train.fit(model, nn.CrossEntropyLoss(), opt, train_dl, progress=False, sched=sched)
    assert len(set(hist.lr)) == 4  # the schedule now sets the lr fit trains with


class HandSchedule:
    """A hand-written schedule: halves `optimizer`'s lr each step (torch's attribute name)."""

    def __init__(self, optimizer):
        self.optimizer = optimizer

    def step(self):
        self.optimizer.lr /= 2


def test_a_hand_written_schedule_is_checked_by_its_optimizer_attribute():
    model = mlp(seed=24)
    train_dl, _ = small_classification(seed=24, n=20, batch_size=5)
    opt = optim.SGD(model.parameters(), 0.08)
    with pytest.raises(ValueError, match=r"another optimiser \(Adam\), not on opt"):
        train.fit(model, nn.CrossEntropyLoss(), opt, train_dl, progress=False,
                  sched=HandSchedule(optim.Adam(model.parameters())))  # fmt: skip
    hist = train.fit(model, nn.CrossEntropyLoss(), opt, train_dl, progress=False,
                     sched=HandSchedule(opt))  # fmt: skip
    assert hist.lr == [0.08, 0.04, 0.02, 0.01]


def classifier_and_targets(layout: str, dtype, n: int, c: int, seed: int):
    """A linear model (n, 3) -> (n, c) or (n, 1), its loss, and integer targets in `layout`."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    labels = rng.integers(0, c, size=n).astype(dtype)
    if layout == "labels":  # classification: (n, c) logits, (n,) labels
        return x, labels, nn.Linear(3, c, rng=seed, dtype=np.float64), nn.CrossEntropyLoss()
    y = labels[:, None] if layout == "column" else F.one_hot(labels, c).astype(dtype)
    return x, y, nn.Linear(3, y.shape[1], rng=seed, dtype=np.float64), nn.MSELoss()


@given(
    layout=st.sampled_from(["labels", "column", "one_hot"]),
    dtype=st.sampled_from([np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64]),
    n=st.integers(1, 30),
    c=st.integers(1, 5),
    batch_size=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=40, deadline=None)
def test_accuracy_is_counted_only_for_class_labels(layout, dtype, n, c, batch_size, seed):
    """Integer regression targets, (n, 1) or one-hot, train and validate; accuracy is NaN."""
    x, y, model, loss_fn = classifier_and_targets(layout, dtype, n, c, seed)
    dl = DataLoader(x, y, batch_size)
    hist = train.fit(model, loss_fn, optim.SGD(model.parameters(), 1e-3), dl, dl, progress=False)
    assert math.isfinite(hist.valid_loss[0])
    if layout == "labels":
        assert hist.accuracy[0] == pytest.approx(float(F.accuracy(model(x), y)))
    else:
        assert math.isnan(hist.accuracy[0]) and repr(hist).splitlines()[2].split()[3] == "-"


class InterruptedSGD(optim.SGD):
    """SGD whose step number `at` (counted from 1 over its life) raises KeyboardInterrupt, as a
    Ctrl-C would after the backward pass has filled every .grad."""

    def __init__(self, params, lr, at):
        super().__init__(params, lr)
        self.at, self.steps = at, 0

    def step(self):
        self.steps += 1
        if self.steps == self.at:
            raise KeyboardInterrupt
        super().step()


@given(at=st.integers(1, 12))
@settings(max_examples=8, deadline=None)
def test_an_interrupted_fit_keeps_the_finished_epochs_clears_grads_and_resumes_cleanly(at):
    rng = np.random.default_rng(23)
    x = rng.normal(size=(20, 784)).astype(np.float32)
    y = rng.integers(0, 10, size=20)
    dl, valid_dl = DataLoader(x, y, 5), DataLoader(x, y, 10)  # 4 steps an epoch, no shuffle
    model, clean = mlp(seed=23), mlp(seed=23)
    opt = InterruptedSGD(model.parameters(), 0.05, at)
    loss_fn = nn.CrossEntropyLoss()
    hist = train.fit(model, loss_fn, opt, dl, valid_dl, epochs=3, progress=False)
    assert all(p.grad is None for p in model.parameters())
    finished = (at - 1) // 4
    assert hist.epochs == finished and len(hist.valid_loss) == len(hist.accuracy) == finished
    assert len(hist.step_loss) == len(hist.lr) == 4 * finished
    # The interrupted step changed nothing: the run did at - 1 steps, which a clean run redoes.
    clean_opt = optim.SGD(clean.parameters(), 0.05)
    done = at - 1
    for _ in range(done // 4):
        train.fit(clean, loss_fn, clean_opt, dl, progress=False)
    if done % 4:
        rows = 5 * (done % 4)
        train.fit(clean, loss_fn, clean_opt, DataLoader(x[:rows], y[:rows], 5), progress=False)
    for p in [*model.parameters(), *clean.parameters()]:
        p.grad = np.ones_like(p.data)  # left by a hand-written step: fit must not add them
    train.fit(model, loss_fn, opt, dl, progress=False)
    train.fit(clean, loss_fn, clean_opt, dl, progress=False)
    for p, q in zip(model.parameters(), clean.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_an_interrupt_prints_one_line_saying_where_it_stopped(capsys):
    train_dl, valid_dl = small_classification(seed=24, n=20, batch_size=5)
    model = mlp(seed=24)
    hist = train.fit(model, nn.CrossEntropyLoss(), InterruptedSGD(model.parameters(), 0.01, 7),
                     train_dl, valid_dl, epochs=3, progress=False)  # fmt: skip
    assert capsys.readouterr().out == (
        "fit interrupted at epoch 2 of 3, step 3 of 4; returning the History of the 1 "
        "finished epoch.\n"
    )
    assert hist.epochs == 1


class InterruptedLoader:
    """Validation batches whose second batch is never reached: Ctrl-C while validating."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __iter__(self):
        yield self.x[:5], self.y[:5]
        raise KeyboardInterrupt


def test_an_interrupt_while_validating_leaves_no_half_recorded_epoch(capsys):
    train_dl, _ = small_classification(seed=25, n=20, batch_size=5)
    model = mlp(seed=25)
    hist = train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), 0.01), train_dl,
                     InterruptedLoader(train_dl.x, train_dl.y), epochs=2)  # fmt: skip
    out = capsys.readouterr().out
    assert out.splitlines()[-1].endswith(
        "fit interrupted at epoch 1 of 2, validation; returning the History of the 0 finished "
        "epochs."
    )
    assert (hist.epochs, hist.valid_loss, hist.accuracy, hist.step_loss) == (0, [], [], [])
