"""The report of a comparison grid (`tools/compare.py --protocol`): every family's runs
over the seeds, scored with the forgetting ratio (paper Eq. 6) against the same seed's
Joint run, as mean ± spread tables, a plot with bands and per-seed accuracy matrices.

The grid's record folder holds `grid.json` (what the grid runs) and, per finished run,
`seed<k>/<model>/results.json` and `config.json`; the report is made from whatever has
finished and lists what is missing.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import numpy as np
import pandas as pd

from hat_tf.hat.mask_snapshot import NETWORK
from hat_tf.machine import recorded_machines
from hat_tf.reporting.comparison import (
    comparison_table,
    plot_forgetting_ratio,
    ratio_columns,
    trained_at_last_task_only,
)
from hat_tf.reporting.finished_runs import IncomparableRunsError, load_results
from hat_tf.reporting.learning_capacity import (
    hat_and_sgd,
    learning_capacity_caption,
    learning_capacity_markdown,
    plot_learning_capacity,
)
from hat_tf.reporting.protocols import Protocol
from hat_tf.reporting.tables import accuracy_table, markdown_table
from hat_tf.training.results import write_atomically

GRID_FILE = "grid.json"
WALL_FILE = "wall_seconds.json"  # a run's wall time over its train.py calls (tools/compare.py)
SCORES = ("acc", "la", "bwt")


def run_path(root: str, seed: int, model: str) -> str:
    """Where the grid keeps the run of `model` at `seed` under `root`."""
    return os.path.join(root, f"seed{seed}", model)


def write_grid_spec(record: str, protocol: Protocol, seeds: tuple[int, ...]) -> None:
    """Writes `grid.json`: the protocol, the seeds the grid runs and the protocol's first
    seed (the one its `first_seed_only` models train at). The seeds of an earlier call on
    the same record and protocol stay (a grid run a few seeds at a time, `--seeds`, keeps
    them all in its report)."""
    path = os.path.join(record, GRID_FILE)
    if os.path.isfile(path):
        with open(path) as file:
            earlier = json.load(file)
        if earlier.get("name") == protocol.name:
            seeds = tuple(sorted({*earlier["seeds"], *seeds}))
    write_atomically(path, json.dumps(
        {**asdict(protocol), "seeds": list(seeds), "first_seed": protocol.seeds[0]},
        indent=2))


def read_grid_spec(record: str) -> dict:
    """The grid's `grid.json`; IncomparableRunsError if `record` holds none."""
    path = os.path.join(record, GRID_FILE)
    if not os.path.isfile(path):
        raise IncomparableRunsError(f"{record}: no {GRID_FILE} (expected the record folder "
                                    "of tools/compare.py --protocol)")
    with open(path) as file:
        return json.load(file)


def finished_results(record: str, seed: int, model: str) -> dict | None:
    """The results of a finished run in the record, or None."""
    try:
        return load_results(run_path(record, seed, model))
    except IncomparableRunsError:
        return None


def recorded_wall_seconds(run_dir: str) -> float | None:
    """The wall time tools/compare.py recorded for the run in `run_dir` (its WALL_FILE),
    or None where it recorded none."""
    path = os.path.join(run_dir, WALL_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as file:
        return json.load(file)["wall_seconds"]


def models_at(spec: dict, family: dict, seed: int) -> list[str]:
    """The models of `family` the grid trains at `seed` (`Family.models_at`)."""
    first_seed = spec.get("first_seed", spec["seeds"][0])
    return [model for model in [family["joint"], *family["methods"]]
            if seed == first_seed or model not in family.get("first_seed_only", ())]


def family_scores(record: str, spec: dict, family: dict) -> tuple[pd.DataFrame, list[str]]:
    """Per seed and finished model of `family` (Joint included, ρ = 0): ACC, LA, BWT and
    ρ≤t against that seed's Joint run (NaN where it has none, `comparison_table`); and the
    runs still missing (`seed<k>/<model>`)."""
    tables, missing = [], []
    for seed in spec["seeds"]:
        runs = {model: finished_results(record, seed, model)
                for model in models_at(spec, family, seed)}
        missing += [f"seed{seed}/{model}" for model, results in runs.items() if results is None]
        finished = {model: results for model, results in runs.items() if results is not None}
        if finished:
            table = comparison_table(finished, runs.get(family["joint"]))
            tables.append(table.assign(seed=seed))
    return (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()), missing


def score_columns(scores: pd.DataFrame) -> list[str]:
    """ACC, LA, BWT, then those of ρ≤1 .. ρ≤T that some run has."""
    return [*SCORES, *ratio_columns(scores)]


def mean_and_spread(scores: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Per model, in `models`' order: the number of seeds, and for every score its mean and
    sample standard deviation over the seeds (NaN with one seed)."""
    columns = score_columns(scores)
    grouped = scores.groupby("run")[columns]
    summary = pd.concat({"mean": grouped.mean(), "sd": grouped.std(ddof=1)}, axis=1)
    summary.columns = [f"{column}_{statistic}" for statistic, column in summary.columns]
    summary.insert(0, "seeds", grouped.size())
    order = [model for model in models if model in summary.index]
    return summary.loc[order].rename_axis("model").reset_index()


def mean_spread_markdown(summary: pd.DataFrame, columns: list[str],
                         published: dict[str, dict] | None = None) -> str:
    """`summary` as a markdown table of `mean ± sd` cells (—: no value), with a column of
    the `published` accuracies (`Published` records by model) where there are any."""
    def cell(row, column):
        mean, sd = row[f"{column}_mean"], row[f"{column}_sd"]
        if np.isnan(mean):
            return "—"
        return f"{mean:.3f}" if np.isnan(sd) else f"{mean:.3f} ± {sd:.3f}"

    def published_cell(model):
        record = (published or {}).get(model)
        return f"{record['acc'] / 100:.3f} ({record['source']})" if record else ""
    names = {"acc": "ACC", "la": "LA", "bwt": "BWT", **{c: f"ρ≤{c.split('_')[1]}" for c in columns
                                          if c.startswith("rho_")}}
    extra = ["published ACC"] if published else []
    return markdown_table(
        ["model", "seeds", *(names[c] for c in columns), *extra],
        [[row["model"], str(int(row["seeds"])), *(cell(row, c) for c in columns),
          *([published_cell(row["model"])] if published else [])]
         for _, row in summary.iterrows()])


def network_capacity(layers: dict[str, dict]) -> tuple[float, float]:
    """The cumulative capacity after a task (`mask_learning`'s entry of it): the share of
    every gated unit whose cumulative attention a^{≤t} > 0.5 (HAT paper §2.3), the layers
    weighted by their units; and the fullest layer's share."""
    gates = [entry for name, entry in layers.items() if name != NETWORK]
    units = sum(entry["units"] for entry in gates)
    return (sum(entry["units"] * entry["cumulative_capacity"] for entry in gates) / units,
            max(entry["cumulative_capacity"] for entry in gates))


def padded(rows: list[list[float]]) -> np.ndarray:
    """`rows` as a (len(rows), longest) array, NaN after each row's end."""
    width = max(len(row) for row in rows)
    return np.array([list(row) + [np.nan] * (width - len(row)) for row in rows], float)


def task_curves(record: str, spec: dict, family: dict) -> dict[str, dict[str, np.ndarray]]:
    """Per model of `family` with a finished run, over its seeds (`seeds`) a row each:
    `la`, each task's accuracy right after it was learned (the accuracy matrix's diagonal;
    a Multitask run, untrained then, is left out); and for a HAT model (its runs record
    `mask_learning`) `capacity` and `fullest`, `network_capacity` after each task."""
    curves = {}
    for model in [family["joint"], *family["methods"]]:
        runs = {seed: results for seed in spec["seeds"]
                if (results := finished_results(record, seed, model)) is not None
                and not trained_at_last_task_only(results)}
        if not runs:
            continue
        curves[model] = {"seeds": np.array(list(runs)), "la": padded(
            [[row[t] for t, row in enumerate(r["acc_matrix"])] for r in runs.values()])}
        if all(r.get("mask_learning") for r in runs.values()):
            per_task = [[network_capacity(layers) for layers in r["mask_learning"]]
                        for r in runs.values()]
            curves[model]["capacity"] = padded([[c for c, _ in run] for run in per_task])
            curves[model]["fullest"] = padded([[f for _, f in run] for run in per_task])
    return curves


def accuracy_matrices_markdown(record: str, spec: dict, family: dict) -> str:
    """Every finished run's accuracy matrix, seed by seed."""
    parts = []
    for seed in spec["seeds"]:
        for model in [family["joint"], *family["methods"]]:
            results = finished_results(record, seed, model)
            if results is not None:
                parts.append(f"#### seed {seed}, {model}\n\n"
                             + accuracy_table(results["acc_matrix"], results["task_names"]))
    return "\n\n".join(parts)


def time_markdown(record: str, spec: dict) -> str:
    """Every finished run's training and wall time, the grid's totals and the machines
    that trained the runs (results.json's `machines`). A wall time shorter than the
    training was recorded in part: its train.py calls were killed before compare.py kept
    the time on disk."""
    rows, training, wall, partial, machines = [], 0.0, 0.0, [], {}
    models = dict.fromkeys(model for family in spec["families"]  # once each: families may
                           for model in [family["joint"], *family["methods"]])  # share Joint
    for model in models:
        cells = []
        for seed in spec["seeds"]:
            results = finished_results(record, seed, model)
            if results is None:
                cells.append("")
                continue
            run_wall = recorded_wall_seconds(run_path(record, seed, model))
            for machine in recorded_machines(results):
                machines[machine] = machines.get(machine, 0) + 1
            training += results["train_seconds"]
            if run_wall is None or run_wall < results["train_seconds"]:
                partial.append(f"seed{seed}/{model}")
            else:
                wall += run_wall
            cells.append(f"{results['train_seconds']:,.0f} / "
                         + ("—" if run_wall is None else f"{run_wall:,.0f}"))
        rows.append([model, *cells])
    table = markdown_table(["model", *(f"seed {seed}" for seed in spec["seeds"])], rows)
    finished = sum(cell != "" for row in rows for cell in row[1:])
    return (f"Training / wall seconds per finished run (wall: compare.py's clock over the "
            f"run's train.py calls, evaluation and exports included; —: not recorded).\n\n"
            f"{table}\n\n{finished} finished runs: {training / 3600:.2f} h of training; "
            f"{wall / 3600:.2f} h wall over the {finished - len(partial)} whose wall time "
            f"was recorded in full (in part or not at all: "
            f"{', '.join(partial) if partial else 'none'})."
            + (" Trained on (runs): "
               + "; ".join(f"{machine} ({count})" for machine, count in machines.items())
               + ": compare times only within one machine." if machines else ""))


def write_grid_report(record: str) -> str:
    """Writes comparison.md, scores.csv (a row per seed and run), summary.csv (mean and sd)
    and forgetting_ratio_<family>.png into `record`; returns the markdown."""
    spec = read_grid_spec(record)
    sections = [f"# Protocol `{spec['name']}`: {spec['dataset']}, seeds "
                f"{', '.join(map(str, spec['seeds']))}", spec["summary"],
                "Cells: mean ± sample standard deviation over the seeds whose runs have "
                "finished (one seed: the mean alone). LA: each task's accuracy right after "
                "it was learned (the diagonal's mean); ACC = LA + (T − 1)/T · BWT, so the "
                "gap to Joint's ACC is what a method did not learn plus what it forgot. "
                "ρ≤t: paper Eq. 6 against the same "
                "seed's Joint run; 0 is as good as Joint, −1 as bad as chance. Bands in the "
                "plots: lowest to highest seed."]
    all_scores, all_summaries, all_missing = [], [], []
    for family in spec["families"]:
        models = [family["joint"], *family["methods"]]
        scores, missing = family_scores(record, spec, family)
        all_missing += missing
        sections.append(f"## {family['name']}")
        if scores.empty:
            sections.append("No run has finished yet.")
            continue
        summary = mean_and_spread(scores, models)
        all_scores.append(scores.assign(family=family["name"]))
        all_summaries.append(summary.assign(family=family["name"]))
        published = {entry["model"]: entry for entry in spec.get("published", ())}
        sections.append(mean_spread_markdown(summary, score_columns(scores), published))
        if ratio_columns(scores):
            plot = f"forgetting_ratio_{family['name']}.png"
            plot_forgetting_ratio(scores, os.path.join(record, plot), models,
                                  f"{spec['name']} protocol, {family['name']}")
            sections.append(f"![ρ≤t]({plot})")
        curves = task_curves(record, spec, family)
        if curves:
            plot = f"learning_capacity_{family['name']}.png"
            plot_learning_capacity(curves, family["joint"],
                                   f"{spec['name']} protocol, {family['name']}",
                                   os.path.join(record, plot))
            sections += ["### Learning and capacity, task by task",
                         f"![LA per task and HAT's cumulative capacity]({plot})",
                         learning_capacity_caption(curves)]
            if any(hat_and_sgd(curves)):
                sections.append(learning_capacity_markdown(curves))
        sections += ["### Accuracy matrices (%)",
                     accuracy_matrices_markdown(record, spec, family)]
    sections.append("## Time\n\n" + time_markdown(record, spec))
    all_missing = list(dict.fromkeys(all_missing))  # a Joint that families share: once
    sections.append("## Missing runs\n\n" + (", ".join(all_missing) if all_missing else "none"))
    if all_scores:
        write_atomically(os.path.join(record, "scores.csv"),
                         pd.concat(all_scores).to_csv(index=False))
        write_atomically(os.path.join(record, "summary.csv"),
                         pd.concat(all_summaries).to_csv(index=False))
    markdown = "\n\n".join(sections) + "\n"
    write_atomically(os.path.join(record, "comparison.md"), markdown)
    return markdown
