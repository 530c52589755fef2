"""Compare finished runs with the HAT paper's forgetting ratio (Eq. 6).

    python tools/report.py runs/cifar_alexnet_hat runs/cifar_alexnet_sgd \\
        --joint runs/cifar_alexnet_joint --out runs/comparison_cifar

    python tools/report.py --grid runs/compare_cpu

Each run is scored against the Joint run of the same dataset, seed and task order (A_J)
and the random classifier (A_R): ρ≤t = 0 is as good as Joint, −1 as bad as chance.
Writes comparison.md, comparison.csv and forgetting_ratio.png to --out. With --grid, the
report of a comparison grid's record folder (tools/compare.py --protocol) from whatever
has finished, written into it: mean ± spread over the seeds, plots with bands, per-seed
accuracy matrices, the runs still missing. Bad input (a run that is not finished or cannot
be read, runs of another dataset, seed or task order than the Joint run, two runs of one
name, an --out that cannot be written) exits with status 2 and one line; nothing is
written.
"""

from __future__ import annotations

import argparse
import os
import sys

from hat_tf.cli import OneLineParser, check_output, fail
from hat_tf.reporting.comparison import (
    comparison_table,
    plot_forgetting_ratio,
    warm_started_joint_note,
)
from hat_tf.reporting.finished_runs import IncomparableRunsError, load_results
from hat_tf.training.results import write_atomically


def build_parser() -> OneLineParser:
    parser = OneLineParser(description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="*", help="run dirs holding results.json")
    parser.add_argument("--joint", help="the Joint run dir (A_J)")
    parser.add_argument("--out", help="folder for the table and the plot")
    parser.add_argument("--grid", help="instead: a comparison grid's record folder")
    return parser


def report_grid(record: str) -> None:
    """The grid's report (hat_tf/reporting/grid.py), printed and written into `record`.
    Imported here: its accuracy tables import TensorFlow, which the plain report does not
    need (nor its log lines on stderr)."""
    from hat_tf.reporting.grid import GRID_FILE, read_grid_spec, write_grid_report

    try:
        read_grid_spec(record)
    except IncomparableRunsError as error:
        fail("report.py", str(error))
    except ValueError as error:  # json.JSONDecodeError
        fail("report.py", f"{os.path.join(record, GRID_FILE)}: expected the grid's JSON, "
                          f"received a file that cannot be parsed ({error})")
    check_output("report.py", "--grid", record)
    try:
        print(write_grid_report(record))
    except IncomparableRunsError as error:
        fail("report.py", str(error))


def main(argv=None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.grid:
        if args.runs or args.joint or args.out:
            parser.error("--grid takes no run dirs, --joint or --out")
        report_grid(args.grid)
        return
    if not (args.runs and args.joint and args.out):
        parser.error("expected run dirs, --joint and --out (or --grid)")
    names = [os.path.basename(os.path.normpath(d)) for d in args.runs]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice:
        parser.error(f"expected run dirs of distinct names (the table's rows), received "
                     f"{names.count(twice)} named {twice}")
    check_output("report.py", "--out", args.out)
    try:
        joint = load_results(args.joint)
        runs = {name: load_results(d) for name, d in zip(names, args.runs)}
        table = comparison_table(runs, joint)
    except IncomparableRunsError as error:
        print(f"report.py: error: {error}", file=sys.stderr)
        sys.exit(2)
    os.makedirs(args.out, exist_ok=True)
    write_atomically(os.path.join(args.out, "comparison.csv"), table.to_csv(index=False))
    plot_forgetting_ratio(table, os.path.join(args.out, "forgetting_ratio.png"))
    note = warm_started_joint_note(joint)
    markdown = (f"# {joint['dataset']}, seed {joint['seed']}: forgetting ratio against "
                f"{os.path.normpath(args.joint)}\n\n"
                + (f"{note}\n\n" if note else "")
                + table.to_markdown(index=False, floatfmt=".4f")
                + "\n\n![forgetting ratio](forgetting_ratio.png)\n")
    write_atomically(os.path.join(args.out, "comparison.md"), markdown)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
