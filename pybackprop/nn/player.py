"""``step_backward_modules``: the backward pass through a model, one module at a time.

The array half's ``pybackprop.step_backward``: the steps as data (``ModuleStep``) and as a
player (``ModuleBackwardPlayer``) drawing the chain of modules.
"""

from __future__ import annotations

import copy
import html
from dataclasses import dataclass

import numpy as np

from .._player import Frames, Player
from .layers import Sequential
from .loss import Loss
from .module import Module

__all__ = ["ModuleBackwardPlayer", "ModuleStep", "step_backward_modules"]


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare by
class ModuleStep:
    """One module's backward: the gradient coming in, the formulas, the gradients going out.

    Parameters
    ----------
    module : Module
        The module of the model (not the copy that ran).
    index : str
        Its place: ``"2"`` for ``model[2]``, ``"1.0"`` in a nested ``Sequential``, ``"loss"``,
        or ``""`` for a model that is one module.
    formulas : tuple of str
        What the backward computes, e.g. ``"grad_in = grad_out @ weight.T"``.
    grad_out : np.ndarray, the module's output shape
        dL/doutput (for the loss, dL/dL = 1, shape ``()``).
    grad_in : np.ndarray, the module's first input's shape
        dL/dinput, which the module before it receives.
    param_grads : dict of str to np.ndarray or None
        What this step adds to each parameter's ``.grad``, by attribute name (None for a
        parameter it gives no gradient).
    text : str
        The step as one line, the formulas with their shapes.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> model = nn.Linear(3, 2, rng=0, dtype=np.float64)
    >>> player = nn.step_backward_modules(model, nn.MSELoss(), np.ones((4, 3)), np.zeros((4, 2)))
    >>> step = player.steps[1]  # the Linear layer, after the loss
    >>> step.formulas[0], step.grad_out.shape, sorted(step.param_grads)
    ('grad_in = grad_out @ weight.T', (4, 2), ['bias', 'weight'])
    """

    module: Module
    index: str
    formulas: tuple[str, ...]
    grad_out: np.ndarray
    grad_in: np.ndarray
    param_grads: dict[str, np.ndarray | None]
    text: str


def _flat(model: Module, prefix: str = "") -> list[tuple[str, Module]]:
    """The modules a Sequential chains, nested ones opened: (index, module) in order."""
    if not isinstance(model, Sequential):
        return [(prefix[:-1], model)]
    return [pair for i, m in enumerate(model) for pair in _flat(m, f"{prefix}{i}.")]


def _shape(a) -> str:
    """Shape of a, as text: (4, 3); None for no array."""
    return "None" if a is None else str(tuple(np.shape(a)))


def step_backward_modules(
    model: Module, loss_fn: Loss, x: np.ndarray, target: np.ndarray
) -> ModuleBackwardPlayer:
    """The backward pass of ``loss_fn(model(x), target)``, one module at a time.

    The array half's ``pybackprop.step_backward``: one step per module, in the order
    ``model.backward(loss_fn.backward())`` runs them (the loss, then the layers last first,
    nested ``Sequential`` opened). It runs on a copy: the model's ``.grad`` stays as it was.

    Parameters
    ----------
    model : Module
        The model, usually a ``Sequential``.
    loss_fn : Loss
        The loss module, called as ``loss_fn(model(x), target)``.
    x : np.ndarray, e.g. of shape (batch, n_in)
        The model's input.
    target : np.ndarray
        What the loss compares the model's output with.

    Returns
    -------
    ModuleBackwardPlayer
        ``.steps`` (ModuleStep, the loss's first), ``.save(path)``, a player when displayed.

    Raises
    ------
    TypeError
        If ``model`` is not a Module or ``loss_fn`` is not a Loss instance.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> model = nn.Sequential(nn.Linear(3, 5, rng=0), nn.ReLU(), nn.Linear(5, 1, rng=1))
    >>> x, y = np.ones((4, 3), dtype=np.float32), np.zeros((4, 1), dtype=np.float32)
    >>> [step.index for step in nn.step_backward_modules(model, nn.MSELoss(), x, y).steps]
    ['loss', '2', '1', '0']
    """
    if not isinstance(model, Module):
        raise TypeError(
            f"step_backward_modules needs the model as a Module (e.g. nn.Sequential(...)); "
            f"got {type(model).__name__}."
        )
    if not isinstance(loss_fn, Loss):
        raise TypeError(
            f"step_backward_modules needs loss_fn as a Loss instance such as nn.MSELoss(); "
            f"got {loss_fn!r}."
        )
    originals = _flat(model) + [("loss", loss_fn)]
    # A copy holds the parameters, not the arrays a forward pass kept (Module.__getstate__).
    model_copy, loss_copy = copy.deepcopy((model, loss_fn))
    copies = [work for _, work in _flat(model_copy)] + [loss_copy]
    # What model_copy(x) does, one module at a time, in one forward pass (one call): a module
    # used twice keeps both calls, as in model(x).
    chain = _Chain(copies[:-1])
    out = chain(x)
    all_inputs = chain.inputs + [(out, target)]
    loss = loss_copy(out, target)

    steps = []
    grad_out = np.asarray(1.0, dtype=np.result_type(loss))
    for (index, module), work, inputs in zip(
        reversed(originals), reversed(copies), reversed(all_inputs), strict=True
    ):
        work.zero_grad()  # so that .grad holds this step's gradients alone (None if it gives none)
        formulas = work.backward_formulas(grad_out, *inputs)
        grad_in = work.bwd(grad_out, *inputs)  # as Sequential.bwd: on the inputs of this use
        param_grads = {name: p.grad for name, p in work.named_parameters()}
        results = [grad_in] + list(param_grads.values())
        clauses = [
            f"{formula}: {shapes} → {_shape(result)}" if shapes else formula
            for (formula, shapes), result in zip(formulas, results, strict=True)
        ]
        where = " (the loss)" if index == "loss" else f" [{index}]" if index else ""
        text = (
            f"{_one_line(module)}{where} runs backward. In: grad_out {_shape(grad_out)}. "
            + "; ".join(clauses)
            + f". Out: grad_in {_shape(grad_in)}."
        )
        step = ModuleStep(
            module, index, tuple(f for f, _ in formulas), grad_out, grad_in, param_grads, text
        )
        steps.append(step)
        grad_out = grad_in
    return ModuleBackwardPlayer(steps, float(loss), _shape(target))


class _Chain(Module):
    """The modules' forward one after another, as Sequential's, keeping each one's inputs."""

    def __init__(self, modules: list[Module]) -> None:
        self.modules = modules
        self.inputs: list[tuple[np.ndarray]] = []

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Each module's forward in turn."""
        for work in self.modules:
            self.inputs.append((x,))
            x = work.forward(x)
        return x


def _one_line(module: Module) -> str:
    """The module's repr if it fits on one line, else its class name."""
    text = repr(module)
    return text if "\n" not in text else type(module).__name__


class ModuleBackwardPlayer(Player):
    """The steps of a backward pass through modules, a player in Jupyter and the book.

    Made by ``step_backward_modules``. Shows the chain of modules, input at the top, forward
    shapes on the left and gradients on the right, one module's backward per step.

    Parameters
    ----------
    steps : list of ModuleStep
        The steps, the loss's first; kept as ``.steps``.
    loss : float
        The loss's value; kept as ``.loss``.
    target_shape : str
        The target's shape as text, e.g. ``"(64, 1)"``.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU())
    >>> x, y = np.ones((4, 2), dtype=np.float32), np.zeros((4, 3), dtype=np.float32)
    >>> nn.step_backward_modules(model, nn.MSELoss(), x, y)
    <backward pass through 3 modules, loss ...>
    """

    title = "Backward pass through the modules"
    key = ("orange: the module running backward", "blue: the gradients it computes")

    def __init__(self, steps: list[ModuleStep], loss: float, target_shape: str) -> None:
        self.steps = steps
        self.loss = loss
        self.target_shape = target_shape

    def __repr__(self) -> str:
        return f"<backward pass through {len(self.steps)} modules, loss {self.loss:.4g}>"

    def _frames(self, pid: str) -> Frames:
        n = len(self.steps)  # rows 1..n are the modules, the loss last (row n)
        start = {f"g{r}": "grad ?" for r in range(n)}
        start[f"g{n}"] = "grad 1"  # dL/dL
        for r, step in enumerate(self.steps[::-1], start=1):
            if step.param_grads:
                start[f"p{r}"] = ", ".join(f"{name}.grad ?" for name in step.param_grads)
        steps = []
        for k, step in enumerate(self.steps):
            r = n - k
            grads = {f"g{r - 1}": f"grad {_shape(step.grad_in)}"}
            if step.param_grads:
                grads[f"p{r}"] = _param_text(step.param_grads)
            steps.append({"on": [f"m{r}", f"b{r}", f"b{r - 1}"], "grads": grads, "text": step.text})
        # Lay out with the longest text each part will show.
        widest = dict(start)
        for step in steps:
            for name, text in step["grads"].items():
                if len(text) > len(widest[name]):
                    widest[name] = text
        intro = (
            "Step 0: the loss's gradient with respect to itself is 1; no other gradient is known "
            "yet. Next runs one module's backward at a time, from the loss back to the input."
        )
        return Frames(_modules_svg(self, pid, widest), start, steps, intro)


# The drawing: one row per module, the input above and the loss below; forward arrows (down)
# on the left carry the activations' shapes, backward arrows (up) on the right the gradients'.
_FONT, _CHAR, _LINE, _GAP, _ARROW_DX = 14, 8.6, 20, 60, 22


def _modules_svg(player: ModuleBackwardPlayer, pid: str, start: dict[str, str]) -> str:
    """The drawing, with the widest texts in start; its changing parts have ids pid-<name>."""
    steps = player.steps[::-1]  # first module first
    rows = [[f"input x {_shape(steps[0].grad_in)}"]]
    for r, step in enumerate(steps, start=1):
        where = f"[{step.index}] " if step.index not in ("", "loss") else ""
        second = start.get(f"p{r}")
        if step.index == "loss":
            second = f"with target {player.target_shape}"
        rows.append([where + _one_line(step.module)] + ([second] if second else []))
    rows.append([f"loss = {player.loss:.4g}"])
    # Gap g lies below row g: the activation's shape going down, its gradient coming up.
    shapes = [_shape(s.grad_in) for s in steps] + ["()"]
    widest_box = max(len(line) for row in rows for line in row) * _CHAR + 24
    grads = [text for name, text in start.items() if name.startswith("g")]
    widest_label = max(len(t) for t in [*shapes, *grads, "backward ↑"]) * _CHAR
    half = max(widest_box / 2, _ARROW_DX + 10 + widest_label) + 8
    width, cx = 2 * half, half
    parts, y = [], 30.0
    parts.append(
        f'<text x="{cx - _ARROW_DX - 8:.0f}" y="18" text-anchor="end" font-size="{_FONT}" '
        f'fill="#4b5563">forward ↓</text><text x="{cx + _ARROW_DX + 8:.0f}" y="18" '
        f'font-size="{_FONT}">backward ↑</text>'
    )
    for r, row in enumerate(rows):
        h = 12 + _LINE * len(row)
        left, right = cx - widest_box / 2, cx + widest_box / 2
        box = (
            f"{left:.0f},{y:.0f} {right:.0f},{y:.0f} {right:.0f},{y + h:.0f} {left:.0f},{y + h:.0f}"
        )
        texts = []
        for i, line in enumerate(row):
            ty = y + 21 + _LINE * i
            text = f'<text x="{cx:.0f}" y="{ty:.0f}" text-anchor="middle" font-size="{_FONT}"'
            if i == 1 and f"p{r}" in start:  # the parameters' gradients, filled in later
                texts.append(
                    f'<g id="{pid}-p{r}">{text} class="pbp-grad">{html.escape(line)}</text></g>'
                )
            else:
                texts.append(f"{text}>{html.escape(line)}</text>")
        fill = "#f3f4f6" if 0 < r < len(rows) - 1 else "#ffffff"
        parts.append(
            f'<g class="node" id="{pid}-m{r}"><polygon points="{box}" fill="{fill}" '
            f'stroke="#000"/>{"".join(texts)}</g>'
        )
        y += h
        if r == len(rows) - 1:
            break
        top, bottom = y, y + _GAP
        fx, bx, mid = cx - _ARROW_DX, cx + _ARROW_DX, top + _GAP / 2 + 5
        grad = html.escape(start[f"g{r}"])
        parts.append(
            f'<g class="edge" id="{pid}-f{r}">{_arrow(fx, top, bottom, "#6b7280")}'
            f'<text x="{fx - 8:.0f}" y="{mid:.0f}" text-anchor="end" font-size="{_FONT}" '
            f'fill="#374151">{html.escape(shapes[r])}</text></g>'
            f'<g class="edge" id="{pid}-b{r}">{_arrow(bx, bottom, top, "#000")}</g>'
            f'<g id="{pid}-g{r}"><text class="pbp-grad" x="{bx + 8:.0f}" y="{mid:.0f}" '
            f'font-size="{_FONT}">{grad}</text></g>'
        )
        y = bottom
    height = y + 10
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" font-family="monospace" role="img" '
        "aria-label=\"The model's modules, input at the top and loss at the bottom, with the "
        'shapes going forward and the gradients coming back">' + "".join(parts) + "</svg>"
    )


def _arrow(x: float, tail: float, head: float, colour: str) -> str:
    """A vertical arrow from y = tail to y = head: a line and a triangle."""
    tip = 9 if head > tail else -9
    return (
        f'<path d="M{x:.0f},{tail:.0f} L{x:.0f},{head - tip:.0f}" stroke="{colour}" '
        f'fill="none"/><polygon points="{x - 5:.0f},{head - tip:.0f} {x + 5:.0f},'
        f'{head - tip:.0f} {x:.0f},{head:.0f}" fill="{colour}" stroke="{colour}"/>'
    )


def _param_text(grads: dict[str, np.ndarray | None]) -> str:
    """The parameters' gradients and their shapes: weight.grad (3, 2), bias.grad (2,)."""
    return ", ".join(f"{name}.grad {_shape(g)}" for name, g in grads.items())
