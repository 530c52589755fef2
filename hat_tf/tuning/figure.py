"""The search's plot after the HAT paper's sensitivity plot (Fig. 4): the objective over
s_max (log scale, as in the paper) and over c, one point per completed trial."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from hat_tf.reporting.figures import to_png
from hat_tf.tuning.space import CAPACITY_WEIGHT, S_MAX
from hat_tf.tuning.validation import OBJECTIVE

AXES = (  # column, label, scale, x range (the searched range and a margin), ticks
    (S_MAX, "s_max (Eq. 3)", "log", (20, 1000), [25, 50, 100, 200, 400, 800]),
    (CAPACITY_WEIGHT, "c (Eq. 5)", "linear", (0, 2.6), [0.1, 0.5, 1, 1.5, 2, 2.5]),
)


def sensitivity_png(table: pd.DataFrame) -> bytes:
    """Two panels, the objective against s_max and against c over their searched ranges;
    the best trial as a star."""
    completed = table[table["status"] == "COMPLETED"]
    objective = completed[OBJECTIVE].astype(float)
    figure = Figure(figsize=(9.0, 3.8), layout="constrained")
    for index, (column, label, scale, limits, ticks) in enumerate(AXES):
        axes = figure.add_subplot(1, 2, index + 1)
        axes.scatter(completed[column], objective, color="tab:blue", label="trial")
        if not completed.empty:
            best = objective.idxmax()
            axes.scatter([completed.loc[best, column]], [objective[best]], marker="*",
                         s=250, color="tab:red", label="best")
        axes.set_xscale(scale)
        axes.set_xlim(*limits)
        axes.set_xticks(ticks, [f"{tick:g}" for tick in ticks])
        axes.minorticks_off()
        axes.set_xlabel(label)
        axes.set_ylabel("mean validation accuracy")
        axes.grid(alpha=0.3)
        axes.legend(loc="best")
    figure.suptitle("Objective over HAT's hyperparameters (after the paper's Fig. 4)")
    return to_png(figure)
