"""The package's refusals, one row per mistake: (call, exception, words the message must hold,
words of a neighbouring diagnosis it must not hold)."""

from pathlib import Path

import numpy as np
import pytest

import pybackprop.nn.functional as F
from pybackprop import Value, gradcheck, nn
from pybackprop.data import DataLoader, IDXError, mean_std, read_idx
from pybackprop.data.idx import parse_idx
from pybackprop.nn import init
from pybackprop.optim import SGD, Adam
from pybackprop.optim.lr_scheduler import OneCycleLR
from pybackprop.train import fit

X = np.zeros((2, 3))
Y = np.array([0, 2])
X32 = np.zeros((2, 3), dtype=np.float32)
RO = np.zeros((2, 3))
RO.flags.writeable = False


def lin() -> nn.Linear:
    return nn.Linear(3, 2, rng=0)


def lin_given(name, shape, width=3):
    """lin() with its `name` Parameter replaced by one of `shape`, called on width features."""
    layer = lin()
    setattr(layer, name, nn.Parameter(np.zeros(shape, np.float32)))
    return layer(np.zeros((2, width), np.float32))


def mlp_backward(grad_out):
    """A model's backward pass given grad_out, after a forward pass on X32."""
    return after_forward(nn.Sequential(lin()), X32).backward(grad_out)


def after_forward(module, *inputs):
    """The module, called once (so that its backward can run)."""
    module(*inputs)
    return module


class Twice(nn.Module):
    """A hand-written module, with no checks of its own."""

    def forward(self, x):
        return 2 * x

    def bwd(self, grad_out, x):
        return 2 * grad_out


class IntParam:
    """A hand-written parameter holding integers."""

    data, grad = np.zeros(2, np.int64), None


def fit_one(epochs=1, opt=None, **kwargs):
    model = lin()
    batches = [(X32, np.zeros((2, 2), np.float32))]
    opt = opt or SGD(model.parameters(), lr=0.1)
    return fit(
        kwargs.pop("model", model),
        kwargs.pop("loss_fn", nn.MSELoss()),
        opt,
        batches,
        epochs=epochs,
        progress=False,
        **kwargs,
    )


TYPE, VALUE = TypeError, ValueError
ROWS = {
    # nn.functional: the argument named, and what was expected
    "relu of integers": (lambda: F.relu(np.arange(3)), TYPE, ["relu", "input", "int64"], ["dim"]),
    "softmax of complex": (lambda: F.softmax(X + 1j), TYPE, ["softmax", "complex128"], ["dim"]),
    "softmax of objects": (lambda: F.softmax(X.astype(object)), TYPE, ["input", "object"], []),
    "softmax of None": (lambda: F.softmax(None), TYPE, ["input", "NoneType"], []),
    "softmax dim 2": (lambda: F.softmax(X, dim=2), VALUE, ["dim", "[-2, 1]", "got dim=2"], []),
    "softmax dim a float": (lambda: F.softmax(X, dim=1.0), TYPE, ["dim", "integer"], ["lie in"]),
    "logsumexp dim": (lambda: F.logsumexp(X, dim=-3), VALUE, ["logsumexp", "dim=-3"], []),
    "log_softmax dim": (lambda: F.log_softmax(X, dim=None), TYPE, ["log_softmax", "dim"], []),
    "ce 1-d logits": (
        lambda: F.cross_entropy(X[0], Y),
        VALUE,
        ["(batch, n_classes)"],
        ["target", "swapped"],
    ),
    "ce int logits": (
        lambda: F.cross_entropy(X.astype(int), Y),
        TYPE,
        ["cross_entropy", "floating-point", "int64"],
        ["swapped"],
    ),
    "ce swapped": (
        lambda: F.cross_entropy(Y, X),
        TYPE,
        ["cross_entropy", "look swapped", "(2, 3)", "F.cross_entropy(logits, target)"],
        ["astype", "labels"],
    ),
    "ce swapped, labels made floats": (
        lambda: F.cross_entropy(Y.astype(float), X),
        VALUE,
        ["look swapped", "float64", "(2,)", "F.cross_entropy(logits, target)"],
        ["x[None, :]"],
    ),
    "nll swapped": (
        lambda: F.nll_loss(Y, X),
        TYPE,
        ["nll_loss", "look swapped", "F.nll_loss(log_probs, target)"],
        ["astype"],
    ),
    "accuracy swapped": (
        lambda: F.accuracy(list(Y), X),
        TYPE,
        ["accuracy", "look swapped", "F.accuracy(logits, target)"],
        ["astype"],
    ),
    "ce transposed logits": (
        lambda: F.cross_entropy(X.T, Y),
        VALUE,
        ["look transposed", "(3, 2)", "(batch, n_classes)", "input.T"],
        ["one label per row", "argmax", "swapped"],
    ),
    "accuracy transposed logits": (
        lambda: F.accuracy(np.zeros((3, 5)), np.zeros(5, int)),
        VALUE,
        ["accuracy", "look transposed", "(5, 3)"],
        ["one label per row", "argmax"],
    ),
    "ce one-hot target": (
        lambda: F.cross_entropy(X, F.one_hot(Y, 3)),
        VALUE,
        ["class indices", "(2,)", "(2, 3)", "target.argmax(1)", "PyTorch also accepts"],
        ["transposed", "one label per row", "swapped"],
    ),
    "ce probability target": (
        lambda: F.cross_entropy(X, np.full((2, 3), 1 / 3)),
        VALUE,
        ["class indices", "target.argmax(1)", "probabilities"],
        ["transposed", "one label per row", "swapped"],
    ),
    "ce too many labels": (
        lambda: F.cross_entropy(X, [0, 1, 2, 0]),
        VALUE,
        ["one label per row", "(2,)", "(4,)"],
        ["transposed", "argmax"],
    ),
    "ce no classes": (lambda: F.cross_entropy(X[:, :0], Y), VALUE, ["one class"], ["target"]),
    "ce float labels": (
        lambda: F.cross_entropy(X, Y.astype(float)),
        TYPE,
        ["integer class labels", "target", "float64"],
        ["fractional"],
    ),
    "ce fractional": (lambda: F.cross_entropy(X, [0, 0.5]), VALUE, ["fractional", "0.5"], []),
    "ce NaN label": (
        lambda: F.cross_entropy(X, [0, np.nan]),
        VALUE,
        ["non-finite", "nan", "index 1"],
        ["fractional"],
    ),
    "ce label range": (lambda: F.cross_entropy(X, [0, 3]), VALUE, ["[0, 3)", "got 3"], ["dtype"]),
    "ce negative": (lambda: F.cross_entropy(X, [-1, 0]), VALUE, ["[0, 3)", "got -1"], ["dtype"]),
    "ce label shape": (
        lambda: F.cross_entropy(X, [[0], [1]]),
        VALUE,
        ["one label per row", "(2,)", "(2, 1)"],
        ["transposed", "argmax", "swapped"],
    ),
    "ce bool labels": (lambda: F.cross_entropy(X, [True, False]), TYPE, ["bool"], ["range"]),
    "nll of ints": (
        lambda: F.nll_loss(np.zeros((2, 3), int), Y),
        TYPE,
        ["nll_loss", "input"],
        ["swapped"],
    ),
    "accuracy str": (lambda: F.accuracy(X, ["a", "b"]), TYPE, ["accuracy", "target"], []),
    "mse broadcast": (lambda: F.mse_loss(X, X[:, :1]), VALUE, ["same shape", "(2, 1)"], []),
    "mse complex": (lambda: F.mse_loss(X, X + 1j), TYPE, ["target", "real numbers"], ["shape"]),
    "mse strings": (lambda: F.mse_loss(X[0, :2], ["a", "b"]), TYPE, ["target", "<U1"], []),
    "one_hot classes": (lambda: F.one_hot(Y, -1), VALUE, ["num_classes", "got -1"], ["labels"]),
    "one_hot float n": (lambda: F.one_hot(Y, 3.0), TYPE, ["num_classes", "3.0"], ["labels"]),
    "one_hot dtype": (lambda: F.one_hot(Y, 3, dtype="x"), TYPE, ["dtype", "'x'"], ["labels"]),
    "one_hot range": (lambda: F.one_hot(Y, 2), VALUE, ["tensor", "[0, 2)", "got 2"], ["dtype"]),
    "one_hot 2-d": (lambda: F.one_hot(Y[:, None], 3), VALUE, ["shape (n,)", "(2, 1)"], []),
    # nn layers and losses
    "Linear list": (lambda: lin()([[0.0] * 3]), TYPE, ["Linear(3, 2)", "list"], ["integer"]),
    "Linear ints": (lambda: lin()(np.zeros((2, 3), int)), TYPE, ["integer features"], []),
    "Linear complex": (lambda: lin()(X32 + 1j), TYPE, ["complex64"], ["integer"]),
    "Linear float64": (lambda: lin()(X), TYPE, ["float32 weights", "float64 input"], []),
    "Linear 1-d": (lambda: lin()(X32[0]), VALUE, ["x[None, :]"], ["dtype"]),
    "Linear width": (
        lambda: lin()(X32[:, :2]),
        VALUE,
        ["(batch, 3)", "(2, 2)"],
        ["dtype", "weight has"],
    ),
    "Linear torch-layout weight": (
        lambda: lin_given("weight", (2, 3)),
        VALUE,
        ["Linear(3, 2)", "weight has shape (2, 3)", "(n_in, n_out) = (3, 2)", ".T"],
        ["matmul", "(batch, 3)"],
    ),
    "Linear torch weight, input made to fit": (
        lambda: lin_given("weight", (2, 5), width=5),
        VALUE,
        ["weight has shape (2, 5)", "(n_in, n_out) = (3, 2)"],
        ["(batch, 3)", ".T"],
    ),
    "Linear weight too wide": (
        lambda: lin_given("weight", (3, 4)),
        VALUE,
        ["weight has shape (3, 4)", "(n_in, n_out) = (3, 2)"],
        [".T", "broadcast"],
    ),
    "Linear bias shape": (
        lambda: lin_given("bias", (3,)),
        VALUE,
        ["bias has shape (3,)", "(n_out,) = (2,)"],
        ["weight", "broadcast"],
    ),
    "Linear n_in": (lambda: nn.Linear(0, 2), VALUE, ["n_in", "positive integer"], []),
    "Linear complex grad": (
        lambda: after_forward(lin(), X32).backward(np.zeros((2, 2), complex)),
        TYPE,
        ["Linear.backward", "grad_out", "complex128"],
        ["shape"],
    ),
    "Linear grad shape": (
        lambda: after_forward(lin(), X32).backward(np.zeros((2, 3), np.float32)),
        VALUE,
        ["grad_out", "(2, 2)", "(2, 3)"],
        ["real numbers", "loss_fn"],
    ),
    "model backward of the loss": (
        lambda: mlp_backward(nn.CrossEntropyLoss()(X32, Y)),
        TYPE,
        ["Sequential.backward", "a loss", "float32", "Pass loss_fn.backward() (dL/dpred)"],
        ["_Loss", "got a", "np.asarray"],
    ),
    "model backward of float(loss)": (
        lambda: mlp_backward(float(nn.MSELoss()(X, X + 1))),
        TYPE,
        ["one number, 1 (float64)", "Pass loss_fn.backward()"],
        ["got a float", "np.asarray"],
    ),
    "model backward of a 0-d array": (
        lambda: mlp_backward(np.array(0.5, np.float32)),
        TYPE,
        ["one number, 0.5", "Pass loss_fn.backward()"],
        ["got shape", "real numbers ("],
    ),
    "model backward of the loss module": (
        lambda: mlp_backward(nn.CrossEntropyLoss()),
        TYPE,
        ["the module CrossEntropyLoss itself", "Pass loss_fn.backward()"],
        ["got a CrossEntropyLoss", "number"],
    ),
    "Linear list grad": (
        lambda: after_forward(lin(), X32).backward([[0.0, 0.0], [0.0, 0.0]]),
        TYPE,
        ["Linear.backward", "grad_out", "numpy array", "got a list", "np.asarray"],
        ["got shape", "loss_fn"],
    ),
    "ReLU grad None": (
        lambda: after_forward(nn.ReLU(), X).backward(None),
        TYPE,
        ["ReLU.backward", "grad_out", "got a NoneType"],
        ["got shape", "np.asarray", "loss_fn"],
    ),
    "Module complex grad, wrong shape": (
        lambda: after_forward(Twice(), X).backward(np.zeros((3, 2), complex)),
        TYPE,
        ["Twice.backward", "grad_out", "real numbers", "complex128"],
        ["got shape"],
    ),
    "Module grad shape": (
        lambda: after_forward(Twice(), X).backward(np.zeros((3, 2))),
        VALUE,
        ["Twice.backward", "output's shape (2, 3)", "got shape (3, 2)"],
        ["real numbers", "numpy array"],
    ),
    "ReLU list": (lambda: nn.ReLU()([1.0]), TYPE, ["ReLU", "numpy array", "list"], []),
    "ReLU object grad": (
        lambda: after_forward(nn.ReLU(), X).backward(X.astype(object)),
        TYPE,
        ["ReLU.backward", "grad_out", "object"],
        [],
    ),
    "backward first": (lambda: nn.ReLU().backward(X), RuntimeError, ["without a forward"], []),
    "Sequential class": (lambda: nn.Sequential(nn.ReLU), TYPE, ["nn.ReLU()"], []),
    "Parameter ints": (lambda: nn.Parameter(np.zeros(2, int)), TYPE, ["floating-point"], []),
    "MSELoss str grad": (
        lambda: after_forward(nn.MSELoss(), X, X).backward("1"),
        TYPE,
        ["MSELoss.backward", "grad_out", "real number"],
        ["shape ("],
    ),
    "CE loss complex grad": (
        lambda: after_forward(nn.CrossEntropyLoss(), X, Y).backward(1j),
        TYPE,
        ["CrossEntropyLoss.backward", "grad_out", "complex"],
        [],
    ),
    "CE loss labels": (lambda: nn.CrossEntropyLoss()(X, [0, 5]), VALUE, ["[0, 3)", "5"], []),
    "CE loss swapped": (
        lambda: nn.CrossEntropyLoss()(Y, X32),
        TYPE,
        ["CrossEntropyLoss", "look swapped", "int64", "loss_fn(logits, target)"],
        ["astype", "labels"],
    ),
    "CE loss swapped, labels made floats": (
        lambda: nn.CrossEntropyLoss()(Y.astype(np.float32), X32),
        VALUE,
        ["look swapped", "loss_fn(logits, target)"],
        ["x[None, :]"],
    ),
    "CE loss 1-d logits": (
        lambda: nn.CrossEntropyLoss()(X32[0], Y),
        VALUE,
        ["CrossEntropyLoss", "(batch, n_classes)", "x[None, :]"],
        ["swapped"],
    ),
    "CE loss one-hot target": (
        lambda: nn.CrossEntropyLoss()(X32, np.eye(3, dtype=np.float32)[Y]),
        VALUE,
        ["CrossEntropyLoss", "class indices", "target.argmax(1)"],
        ["swapped", "one label per row"],
    ),
    # init
    "kaiming 1-d": (lambda: init.kaiming_normal_(np.zeros(3)), VALUE, ["(n_in, n_out)"], []),
    "kaiming ints": (lambda: init.kaiming_normal_(np.zeros((2, 2), int)), TYPE, ["float"], []),
    "kaiming mode": (lambda: init.kaiming_normal_(X, mode="in"), VALUE, ["fan_in", "'in'"], []),
    "kaiming gain": (
        lambda: init.kaiming_normal_(X, nonlinearity="gelu"),
        VALUE,
        ["nonlinearity", "'gelu'"],
        ["mode"],
    ),
    "kaiming read-only": (
        lambda: init.kaiming_normal_(RO),
        VALUE,
        ["weight", "read-only", "copy()"],
        ["shape"],
    ),
    "kaiming rng": (
        lambda: init.kaiming_normal_(X.copy(), rng=-1),
        VALUE,
        ["kaiming_normal_", "rng", "integer >= 0", "got -1"],
        ["mode"],
    ),
    "xavier rng float": (
        lambda: init.xavier_uniform_(X.copy(), rng=1.5),
        TYPE,
        ["xavier_uniform_", "rng", "Generator", "1.5"],
        ["gain"],
    ),
    "kaiming nonlinearity list": (
        lambda: init.kaiming_normal_(X.copy(), nonlinearity=["relu"]),
        VALUE,
        ["nonlinearity", "one of"],
        ["unhashable"],
    ),
    "xavier complex": (
        lambda: init.xavier_normal_(X + 1j),
        TYPE,
        ["weight", "dtype complex128"],
        ["read-only", "ndarray'>"],
    ),
    "xavier gain str": (
        lambda: init.xavier_normal_(X.copy(), gain="1"),
        TYPE,
        ["gain", "real"],
        [],
    ),
    "xavier gain bool": (
        lambda: init.xavier_normal_(X.copy(), gain=True),
        TYPE,
        ["gain", "real number", "True"],
        [">= 0"],
    ),
    "xavier gain < 0": (
        lambda: init.xavier_uniform_(X.copy(), gain=-1),
        VALUE,
        ["gain", ">= 0", "-1"],
        ["real number"],
    ),
    "normalize mean str": (
        lambda: init.normalize(X, "0", 1),
        TYPE,
        ["mean", "real number"],
        ["finite", "std"],
    ),
    "normalize std lost in float16": (
        lambda: init.normalize(X.astype(np.float16), 0, 1e-10),
        VALUE,
        ["std", "float16", "1e-10"],
        ["mean"],
    ),
    "normalize mean lost in float32": (
        lambda: init.normalize(X32, 1e300, 1),
        VALUE,
        ["mean", "float32", "1e+300"],
        ["std"],
    ),
    "normalize ints": (lambda: init.normalize(np.arange(3), 0, 1), TYPE, ["floating-point"], []),
    "normalize std 0": (lambda: init.normalize(X, 0, 0), VALUE, ["std", "positive"], []),
    # optim
    "SGD lr inf": (lambda: SGD(lin().parameters(), lr=np.inf), VALUE, ["lr", "finite", "inf"], []),
    "Adam eps 0": (lambda: Adam(lin().parameters(), eps=0), VALUE, ["eps", "> 0"], ["lr"]),
    "Adam betas": (lambda: Adam(lin().parameters(), betas=(1, 0.9)), VALUE, ["betas[0]"], []),
    "SGD arrays": (lambda: SGD([np.zeros(2)], lr=0.1), TYPE, ["parameter 0", "nn.Parameter"], []),
    "SGD lr True": (
        lambda: SGD(lin().parameters(), lr=True),
        TYPE,
        ["SGD", "lr", "real number", "True"],
        ["finite"],
    ),
    "SGD lr str": (lambda: SGD(lin().parameters(), lr="0.1"), TYPE, ["lr", "'0.1'"], ["finite"]),
    "Adam betas float": (
        lambda: Adam(lin().parameters(), betas=0.9),
        TYPE,
        ["Adam", "betas", "pair", "0.9"],
        ["len()"],
    ),
    "SGD one Parameter": (
        lambda: SGD(lin().weight, lr=0.1),
        TYPE,
        ["SGD", "params", "iterable", "got Parameter"],
        ["not iterable"],
    ),
    "SGD empty": (lambda: SGD([], lr=0.1), VALUE, ["SGD", "empty parameter list"], ["once"]),
    "SGD duplicates": (
        lambda: SGD(2 * lin().parameters(), lr=0.1),
        VALUE,
        ["SGD", "parameter 2", "more than once"],
        ["empty"],
    ),
    "SGD integer data": (
        lambda: SGD([IntParam()], lr=0.1),
        TYPE,
        ["SGD", "parameter 0", "int64", "floating-point"],
        ["nn.Parameter"],
    ),
    "OneCycle total_steps float": (
        lambda: OneCycleLR(SGD(lin().parameters(), lr=0.1), 0.1, 12.0),
        TYPE,
        ["OneCycleLR", "total_steps", "12.0"],
        ["pct_start"],
    ),
    "OneCycle pct_start str": (
        lambda: OneCycleLR(SGD(lin().parameters(), lr=0.1), 0.1, 12, pct_start="0.3"),
        TYPE,
        ["OneCycleLR", "pct_start", "real number"],
        ["[0, 1]"],
    ),
    "OneCycle pct_start 1.5": (
        lambda: OneCycleLR(SGD(lin().parameters(), lr=0.1), 0.1, 12, pct_start=1.5),
        VALUE,
        ["pct_start", "[0, 1]", "1.5"],
        ["real number"],
    ),
    "OneCycle momentum": (
        lambda: OneCycleLR(SGD(lin().parameters(), lr=0.1), 0.1, 10, max_momentum=1.0),
        VALUE,
        ["max_momentum", "[0, 1)"],
        [],
    ),
    # data
    "DataLoader rows": (lambda: DataLoader(X, Y[:1]), VALUE, ["same number of rows"], []),
    "DataLoader batch": (lambda: DataLoader(X, Y, batch_size=0), VALUE, ["batch_size"], []),
    "DataLoader 2.5": (lambda: DataLoader(X, Y, batch_size=2.5), TYPE, ["batch_size"], ["rows"]),
    "DataLoader 0-d x": (
        lambda: DataLoader(np.array(3.0), Y),
        TYPE,
        ["DataLoader", "first axis", "x is ndarray of shape ()"],
        ["same number of rows", "len() of unsized"],
    ),
    "DataLoader dict y": (
        lambda: DataLoader(X, {0: 1, 1: 2}),
        TYPE,
        ["DataLoader", "first axis", "y is dict"],
        ["rows; got len"],
    ),
    "DataLoader rng": (
        lambda: DataLoader(X, Y, shuffle=True, rng="seed"),
        TYPE,
        ["DataLoader", "rng", "'seed'"],
        ["SeedSequence", "batch_size"],
    ),
    "mean_std bool": (lambda: mean_std(Y > 0), TYPE, ["mean_std", "real numbers", "bool"], []),
    "mean_std empty": (lambda: mean_std(np.zeros(0)), VALUE, ["at least one value"], []),
    "mean_std complex": (lambda: mean_std(X + 1j), TYPE, ["real numbers"], ["empty"]),
    # gradcheck, Value, fit
    "gradcheck nothing": (lambda: gradcheck(lambda x: x), VALUE, ["needs the inputs"], []),
    "gradcheck ints": (
        lambda: gradcheck(lambda x: x**2, Y, backward=lambda g, x: 2 * g * x),
        TYPE,
        ["integer", "nothing would be compared"],
        ["needs the inputs"],
    ),
    "gradcheck complex": (
        lambda: gradcheck(lambda x: x, X + 1j, backward=lambda g, x: g),
        TYPE,
        ["gradcheck", "input 0", "complex128"],
        ["nothing would be compared"],
    ),
    "gradcheck eps 0": (
        lambda: gradcheck(lambda x: x, X, backward=lambda g, x: g, eps=0),
        VALUE,
        ["gradcheck", "eps", "> 0"],
        ["input 0"],
    ),
    "Value of str": (lambda: Value("a"), TYPE, ["real number", "str"], []),
    "fit epochs 0": (lambda: fit_one(epochs=0), VALUE, ["epochs", "positive integer"], []),
    "fit epochs str": (
        lambda: fit_one(epochs="2"),
        TYPE,
        ["epochs", "positive integer", "'2'"],
        ["another model"],
    ),
    "fit loss a function": (
        lambda: fit_one(loss_fn=F.mse_loss),
        TYPE,
        ["loss_fn", "nn.MSELoss()", "function", "no backward"],
        ["epochs", "class"],
    ),
    "fit opt a list": (
        lambda: fit_one(opt=lin().parameters()),
        TYPE,
        ["opt", "optimiser", "got list", "no step"],
        ["another model", "class"],
    ),
    "fit opt a class": (
        lambda: fit_one(opt=SGD),
        TYPE,
        ["opt", "class SGD", "instance"],
        ["no step", "zero_grad()"],
    ),
    "fit sched a number": (
        lambda: fit_one(sched=0.1),
        TYPE,
        ["sched", "OneCycleLR", "got float"],
        ["steps left"],
    ),
    "fit valid_dl a number": (
        lambda: fit_one(valid_dl=5),
        TYPE,
        ["valid_dl", "iterable", "got int"],
        ["sched"],
    ),
    # IDX files: the path checked before anything is read
    "read_idx of None": (lambda: read_idx(None), TYPE, ["read_idx", "path", "NoneType"], []),
    "read_idx of a folder": (lambda: read_idx(Path(".")), IDXError, ["folder"], ["truncated"]),
    "parse_idx of huge dims": (
        lambda: parse_idx(bytes([0, 0, 8, 3, 0, 0, 0, 0]) + (2**32 - 1).to_bytes(4, "big") * 2),
        IDXError,
        ["too large", "(0, 4294967295, 4294967295)"],
        ["truncated", "unexpected bytes"],
    ),
    "fit foreign optimiser": (
        lambda: fit_one(opt=SGD(lin().parameters(), lr=0.1)),
        VALUE,
        ["optimiser", "another model"],
        ["epochs"],
    ),
}


@pytest.mark.parametrize("name", ROWS)
def test_each_mistake_is_refused_in_its_own_words(name):
    call, error, words, not_words = ROWS[name]
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} not in: {message}"
    for word in not_words:
        assert word not in message, f"{word!r} (another diagnosis) in: {message}"
