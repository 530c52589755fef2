"""Plot each task's test accuracy as later tasks are learned, one panel per run.

    python tools/plot_task_accuracy.py runs/compare_cifar_e5_n2000/alexnet_sgd \
        runs/compare_cifar_e5_n2000/alexnet_hat --out runs/figures/task_accuracy_cifar_e5_n2000.png

Reads each run's results.json (its accuracy matrix: row t = after training task t) and
draws, per task, a line from the moment it was learned to the end of the run: a line that
falls is forgetting. Needs only matplotlib (not TensorFlow). Bad input exits with status 2
and one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

from hat_tf.cli import OneLineParser  # noqa: E402


def load_run(run_dir: Path) -> dict:
    """The run's results.json; ValueError with what is wrong when it cannot be plotted."""
    path = run_dir / "results.json"
    try:
        results = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    if not isinstance(results, dict) or not {"acc_matrix", "model"} <= results.keys():
        raise ValueError(f"{path} holds no accuracy matrix (acc_matrix, model)")
    return results


def plot(runs: list[dict], out: Path) -> None:
    """One panel per run: task τ's accuracy after each task t ≥ τ, with ACC and BWT."""
    figure, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.4), sharey=True,
                                squeeze=False)
    for panel, results in zip(axes[0], runs):
        matrix = results["acc_matrix"]
        for task in range(len(matrix)):
            trained = [t for t in range(task, len(matrix)) if matrix[t][task] is not None]
            panel.plot([t + 1 for t in trained], [matrix[t][task] for t in trained],
                       marker="o", markersize=3, linewidth=1.2)
        title = results["model"]
        if "acc" in results and "bwt" in results:
            title += f"\nACC {results['acc']:.3f}, BWT {results['bwt']:+.4f}"
        panel.set_title(title, fontsize=10)
        panel.set_xlabel("tasks learned")
        panel.set_xticks(range(1, len(matrix) + 1))
        panel.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy of each task")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    parser = OneLineParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run dirs holding results.json")
    parser.add_argument("--out", type=Path, required=True, help="the PNG to write")
    args = parser.parse_args(argv)
    try:
        runs = [load_run(run) for run in args.runs]
    except ValueError as error:
        parser.error(str(error))
    plot(runs, args.out)
    print(args.out)


if __name__ == "__main__":
    main()
