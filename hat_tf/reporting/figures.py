"""The run's plots as PNG bytes, drawn with matplotlib's Agg canvas (no display, no pyplot
state): the accuracy matrix, capacity per layer over tasks, and mask reuse (paper Fig. 6)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from hat_tf.hat.mask_snapshot import NETWORK, LayerCapacity
from hat_tf.reporting.png import to_png

HEATMAP = "viridis"


def _heatmap(axes, values: np.ndarray, annotate: bool, decimals: int = 1,
             fontsize: float = 9):
    """Percentages 0–100 as coloured cells, NaN left white; with `annotate`, each cell's
    value written on it."""
    colour_map = matplotlib.colormaps[HEATMAP].with_extremes(bad="white")
    image = axes.imshow(np.ma.masked_invalid(values), cmap=colour_map, vmin=0, vmax=100)
    if annotate:
        for (row, column), value in np.ndenumerate(values):
            if not np.isnan(value):
                axes.text(column, row, f"{value:.{decimals}f}", ha="center", va="center",
                          fontsize=fontsize, color="black" if value > 60 else "white")
    return image


def accuracy_matrix_png(matrix: Sequence[Sequence[float | None]],
                        task_names: Sequence[str]) -> bytes:
    """The accuracy matrix so far as a heatmap: row t = after training task t, column τ =
    tested on task τ, in % (docs/algorithm.md §11); the cells below the diagonal show forgetting."""
    trained = len(matrix)
    values = np.array([[np.nan if v is None else 100 * v for v in row[:trained]]
                       for row in matrix], dtype=float)
    side = max(4.5, 0.75 * trained + 2.5)
    figure = Figure(figsize=(side + 1.0, side), layout="constrained")
    axes = figure.add_subplot()
    image = _heatmap(axes, values, annotate=True, fontsize=9 if trained <= 10 else 7)
    names = list(task_names[:trained])
    axes.set_xticks(range(trained), names, rotation=45, ha="right")
    axes.set_yticks(range(trained), names)
    axes.set_xlabel("tested on task τ")
    axes.set_ylabel("after training task t")
    axes.set_title("Accuracy A[t, τ] (%)")
    figure.colorbar(image, ax=axes, label="accuracy (%)")
    return to_png(figure)


def capacity_png(history: Sequence[Mapping[str, LayerCapacity]], task_names: Sequence[str],
                 threshold: float | None = None) -> bytes:
    """Capacity per gated layer over tasks: left the share of units that tasks 1..t hold
    together (a^{≤t} > 0.5), right the share in task t's own mask (a^t > 0.5), in %;
    the whole network dashed black, `threshold` (a fraction) dotted."""
    names = list(history[-1])
    layers = [name for name in names if name != NETWORK]
    rows = math.ceil((len(layers) + 1) / 4)
    figure = Figure(figsize=(11, 4.5 + 0.25 * rows), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True)
    steps = np.arange(1, len(history) + 1)
    colours = matplotlib.colormaps["tab10" if len(layers) <= 10 else "tab20"]
    for axes, cumulative, title in ((left, True, r"used by tasks 1..t: $a^{\leq t} > 0.5$"),
                                    (right, False, r"used by task t: $a^{t} > 0.5$")):
        for index, name in enumerate(names):
            values = [100 * (row[name].cumulative if cumulative else row[name].task)
                      for row in history]
            style = ({"color": "black", "linestyle": "--", "linewidth": 2.2}
                     if name == NETWORK else
                     {"color": colours(index % colours.N), "linewidth": 1.4})
            axes.plot(steps, values, marker="o", markersize=4,
                      label=f"{name} (all units)" if name == NETWORK else name, **style)
        if threshold is not None and cumulative:
            axes.axhline(100 * threshold, color="grey", linestyle=":", linewidth=1,
                         label=f"{100 * threshold:.0f} % warning")
        axes.set_title(title)
        axes.set_xticks(steps, [f"{s}\n{n}" for s, n in zip(steps, task_names)], fontsize=8)
        axes.set_xlabel("after training task t")
        axes.set_ylim(0, 102)
        axes.grid(alpha=0.3)
    left.set_ylabel("units in use (%)")
    handles, labels = left.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=8)
    figure.suptitle("Capacity per gated layer")
    return to_png(figure)


def reuse_png(reuse: Mapping[str, np.ndarray], task_names: Sequence[str]) -> bytes:
    """Mask reuse between tasks, after the paper's Fig. 6: one heatmap per gated layer and
    one for the whole network; row i, column j = % of task j's units that task i's mask
    uses too (the diagonal is 100)."""
    panels = list(reuse.items())
    columns = min(4, len(panels))
    rows = math.ceil(len(panels) / columns)
    tasks = len(panels[0][1])
    figure = Figure(figsize=(3.0 * columns + 1.0, 3.0 * rows + 0.8), layout="constrained")
    grid = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    image = None
    for axes, (name, matrix) in zip(grid, panels):
        image = _heatmap(axes, 100 * np.asarray(matrix, float), annotate=tasks <= 6,
                         decimals=0, fontsize=8 if tasks <= 4 else 7)
        axes.set_title(f"{name} (all units)" if name == NETWORK else name, fontsize=9)
        axes.set_xticks(range(tasks), range(1, tasks + 1), fontsize=7)
        axes.set_yticks(range(tasks), range(1, tasks + 1), fontsize=7)
    for axes in grid[len(panels):]:
        axes.set_axis_off()
    grid[0].set_xlabel("units of task j", fontsize=8)
    grid[0].set_ylabel("mask of task i", fontsize=8)
    figure.colorbar(image, ax=grid.tolist(), label="% of task j's units in task i's mask",
                    shrink=0.8)
    figure.suptitle("Mask reuse between tasks (" + ", ".join(
        f"{i + 1}: {name}" for i, name in enumerate(task_names[:tasks])) + ")", fontsize=10)
    return to_png(figure)
