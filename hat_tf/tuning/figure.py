"""The search's plot after the HAT paper's sensitivity plot (Fig. 4): the objective over
each searched hyperparameter (HAT: s_max on a log scale, as in the paper, and c), one point
per completed trial."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from hat_tf.reporting.png import to_png
from hat_tf.tuning.space import Searched, searched_in
from hat_tf.tuning.validation import OBJECTIVE


def sensitivity_png(table: pd.DataFrame) -> bytes:
    """One panel per searched hyperparameter, the objective against it over its searched
    range; the best trial as a star."""
    completed = table[table["status"] == "COMPLETED"]
    objective = completed[OBJECTIVE].astype(float)
    searched = searched_in(table.columns)
    figure = Figure(figsize=(4.5 * len(searched), 3.8), layout="constrained")
    for index, hyperparameter in enumerate(searched):
        column, ticks = hyperparameter.name, hyperparameter.ticks
        axes = figure.add_subplot(1, len(searched), index + 1)
        axes.scatter(completed[column], objective, color="tab:blue", label="trial")
        if not completed.empty:
            best = objective.idxmax()
            axes.scatter([completed.loc[best, column]], [objective[best]], marker="*",
                         s=250, color="tab:red", label="best")
        axes.set_xscale(hyperparameter.sampling)
        axes.set_xlim(*x_range(hyperparameter))
        axes.set_xticks(ticks, [f"{tick:g}" for tick in ticks])
        axes.minorticks_off()
        axes.set_xlabel(hyperparameter.label)
        axes.set_ylabel("mean validation accuracy")
        axes.grid(alpha=0.3)
        axes.legend(loc="best")
    figure.suptitle("Objective over the searched hyperparameters (after the HAT paper's "
                    "Fig. 4)")
    return to_png(figure)


def x_range(searched: Searched) -> tuple[float, float]:
    """The searched range and a margin: a quarter of it on a log scale, 4 % on a linear one."""
    if searched.sampling == "log":
        return searched.low / 1.25, searched.high * 1.25
    margin = 0.04 * (searched.high - searched.low)
    return searched.low - margin, searched.high + margin
