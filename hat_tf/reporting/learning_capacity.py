"""LA per task and HAT's capacity over a grid's seeds (issue: does HAT's capacity run
out before the last task?): each task's accuracy right after it was learned, HAT's against
SGD's on the same seed, and HAT's cumulative capacity after each task (HAT paper §2.3), as
a table, a plot and its caption. The curves come from `grid.task_curves`."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hat_tf.reporting.png import to_png
from hat_tf.reporting.tables import markdown_table
from hat_tf.training.results import write_atomically

Curves = dict[str, dict[str, np.ndarray]]


def is_sgd(model: str) -> bool:
    """Whether `model` is its family's plain fine-tuning (`*_sgd`)."""
    return model.endswith("_sgd")


def hat_and_sgd(curves: Curves) -> tuple[list[str], str | None]:
    """The HAT models of `curves` (those with a capacity) and its SGD model (or None)."""
    sgd = [model for model in curves if is_sgd(model)]
    return [m for m, curve in curves.items() if "capacity" in curve], (sgd[0] if sgd else None)


def paired_gap(curves: Curves, model: str, other: str) -> np.ndarray:
    """Per seed that both have: `model`'s LA per task minus `other`'s (the same tasks)."""
    seeds = [seed for seed in curves[model]["seeds"] if seed in curves[other]["seeds"]]
    rows = [curves[model]["la"][list(curves[model]["seeds"]).index(seed)]
            - curves[other]["la"][list(curves[other]["seeds"]).index(seed)]
            for seed in seeds]
    return np.array(rows, float).reshape(len(seeds), -1)


def cell(values: np.ndarray) -> str:
    """`mean ± sample sd` of the non-NaN `values` (the mean alone for one; — for none)."""
    values = values[~np.isnan(values)]
    if not len(values):
        return "—"
    return (f"{values.mean():.3f}" if len(values) == 1
            else f"{values.mean():.3f} ± {values.std(ddof=1):.3f}")


def learning_capacity_markdown(curves: Curves) -> str:
    """Per task: each HAT model's LA, SGD's, and their difference on the same seed; then
    each HAT model's cumulative capacity (all gated units) and its fullest layer's; mean
    ± sd over the seeds."""
    hat, sgd = hat_and_sgd(curves)
    columns = [(f"{model} LA", curves[model]["la"]) for model in [*hat, *([sgd] if sgd else [])]]
    if sgd:
        columns += [(f"{model} − {sgd}", paired_gap(curves, model, sgd)) for model in hat]
    columns += [(f"{model} {name}", curves[model][key]) for model in hat
                for key, name in (("capacity", "capacity"), ("fullest", "fullest layer"))]
    tasks = max(values.shape[1] for _, values in columns)
    return markdown_table(
        ["task", *(name for name, _ in columns)],
        [[str(t + 1), *(cell(values[:, t]) if t < values.shape[1] else "—"
                        for _, values in columns)] for t in range(tasks)])


def learning_capacity_caption(curves: Curves) -> str:
    """The caption of `plot_learning_capacity`'s figure and of its table."""
    hat, sgd = hat_and_sgd(curves)
    parts = ["each task's accuracy right after it was learned (LA per task, the accuracy "
             "matrix's diagonal), mean over the seeds, with a band from the lowest to the "
             "highest seed for HAT and SGD; task t is the t-th of each seed's order, a "
             "different task on each seed, so the bands hold the tasks' differences"]
    if hat and sgd:
        parts.append("HAT's LA minus SGD's on the same seed, i.e. on the same task: below 0 "
                     "HAT learns a task less well than plain fine-tuning")
    if hat:
        parts.append("HAT's cumulative capacity after task t, the share of units whose "
                     "cumulative attention a^{≤t} > 0.5 (HAT paper §2.3), over all gated "
                     "layers weighted by their units (solid, with the band) and in the "
                     "fullest layer (dashed, its mean over the seeds): where it nears 1, a "
                     "later task finds few free units of its own")
    names = ["Top", "Middle", "Bottom"] if len(parts) == 3 else ["Top", "Bottom"]
    text = ". ".join(f"{name}: {part}" for name, part in zip(names, parts)) \
        if len(parts) > 1 else parts[0][0].upper() + parts[0][1:]
    return f"*{text}. The table: the same per task, mean ± sd over the seeds.*"


def band(axes: Axes, tasks: np.ndarray, rows: np.ndarray, color) -> None:
    """A band from the lowest to the highest seed's value at each task."""
    axes.fill_between(tasks, np.nanmin(rows, axis=0), np.nanmax(rows, axis=0), alpha=0.12,
                      color=color)


def plot_la(axes: Axes, curves: Curves, joint: str, title: str) -> dict[str, str]:
    """Every model's LA per task, the mean over the seeds, HAT and SGD emphasised with a
    band, Joint dashed; returns each model's colour."""
    hat, sgd = hat_and_sgd(curves)
    colors = {}
    for model, curve in curves.items():
        rows = curve["la"]
        tasks = np.arange(1, rows.shape[1] + 1)
        emphasis = model in hat or model == sgd
        line, = axes.plot(tasks, np.nanmean(rows, axis=0), marker="o",
                          linewidth=2.2 if emphasis else 1.0, alpha=1.0 if emphasis else 0.7,
                          markersize=5 if emphasis else 3,
                          linestyle="--" if model == joint else "-",
                          label=f"{model} ({rows.shape[0]})")
        colors[model] = line.get_color()
        if emphasis:
            band(axes, tasks, rows, line.get_color())
    axes.set(ylabel="LA: accuracy right after\nlearning task t", title=title)
    axes.legend(fontsize=7, title="model (seeds)", title_fontsize=7, ncol=2)
    return colors


def plot_gap_to_sgd(axes: Axes, curves: Curves, colors: dict[str, str]) -> None:
    """Each HAT model's LA minus SGD's on the same seed, with a band."""
    hat, sgd = hat_and_sgd(curves)
    for model in hat:
        rows = paired_gap(curves, model, sgd)
        if not len(rows):
            continue
        tasks = np.arange(1, rows.shape[1] + 1)
        axes.plot(tasks, np.nanmean(rows, axis=0), marker="o", color=colors[model],
                  label=f"{model} − {sgd} ({rows.shape[0]})")
        band(axes, tasks, rows, colors[model])
    axes.axhline(0.0, color="grey", linewidth=0.8)
    axes.set(ylabel="LA − SGD's LA\n(same seed)")
    axes.legend(fontsize=7)


def plot_capacity(axes: Axes, curves: Curves, colors: dict[str, str]) -> None:
    """Each HAT model's cumulative capacity after each task: all gated units (solid, with a
    band) and the fullest layer (dashed)."""
    hat, _ = hat_and_sgd(curves)
    for model in hat:
        capacity, fullest = curves[model]["capacity"], curves[model]["fullest"]
        tasks = np.arange(1, capacity.shape[1] + 1)
        axes.plot(tasks, np.nanmean(capacity, axis=0), marker="o", color=colors[model],
                  label=f"{model}: all gated units")
        band(axes, tasks, capacity, colors[model])
        axes.plot(tasks, np.nanmean(fullest, axis=0), linestyle="--", color=colors[model],
                  label=f"{model}: fullest layer")
    axes.axhline(1.0, color="grey", linewidth=0.8)
    axes.set(ylabel="cumulative capacity\n(units with $a^{\\leq t}$ > 0.5)", ylim=(0, 1.05))
    axes.legend(fontsize=7)


def plot_learning_capacity(curves: Curves, joint: str, title: str, path: str) -> None:
    """Panels over the task t, written to `path` as PNG: `plot_la`; where the family has
    HAT and SGD, `plot_gap_to_sgd`; where it has HAT, `plot_capacity`."""
    hat, sgd = hat_and_sgd(curves)
    heights = [3, *([1.6] if hat and sgd else []), *([2] if hat else [])]
    figure = Figure(figsize=(7, 1.6 * sum(heights) + 0.6), layout="tight")
    panels = figure.subplots(len(heights), 1, sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": heights})[:, 0]
    colors = plot_la(panels[0], curves, joint, title)
    if hat and sgd:
        plot_gap_to_sgd(panels[1], curves, colors)
    if hat:
        plot_capacity(panels[-1], curves, colors)
    for axes in panels:
        axes.grid(alpha=0.3)
    tasks = max(curve["la"].shape[1] for curve in curves.values())
    panels[-1].set(xlabel="task t (the t-th of each seed's order)", xticks=range(1, tasks + 1))
    write_atomically(path, to_png(figure, dpi=120))
