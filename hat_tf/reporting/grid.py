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
from hat_tf.reporting.comparison import (
    IncomparableRunsError,
    comparison_table,
    load_results,
    trained_at_last_task_only,
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


def ratio_columns(scores: pd.DataFrame) -> list[str]:
    """The columns ρ≤t that hold a value for some run (a grid whose Joint is a Multitask
    run has ρ≤T alone)."""
    return [c for c in scores.columns if c.startswith("rho_") and scores[c].notna().any()]


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


def plot_bands(scores: pd.DataFrame, models: list[str], title: str, path: str) -> None:
    """ρ≤t against t per model: the mean over the seeds, and a band from the lowest to the
    highest seed (after the paper's Fig. 3)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = ratio_columns(scores)
    tasks = [int(c.split("_")[1]) for c in columns]
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for model in models:
        rows = scores[scores["run"] == model][columns].to_numpy(float)
        if not len(rows):
            continue
        line, = axes.plot(tasks, rows.mean(axis=0), marker="o", label=f"{model} ({len(rows)})")
        axes.fill_between(tasks, rows.min(axis=0), rows.max(axis=0), alpha=0.15,
                          color=line.get_color())
    axes.axhline(0.0, color="grey", linewidth=0.8)
    axes.set(xlabel="task t", ylabel="forgetting ratio ρ≤t", xticks=tasks, title=title)
    axes.legend(fontsize=8, title="model (seeds)", title_fontsize=8)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


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


def is_sgd(model: str) -> bool:
    """Whether `model` is its family's plain fine-tuning (`*_sgd`)."""
    return model.endswith("_sgd")


def hat_and_sgd(curves: dict[str, dict[str, np.ndarray]]) -> tuple[list[str], str | None]:
    """The HAT models of `curves` (those with a capacity) and its SGD model (or None)."""
    sgd = [model for model in curves if is_sgd(model)]
    return [m for m, curve in curves.items() if "capacity" in curve], (sgd[0] if sgd else None)


def paired_gap(curves: dict[str, dict[str, np.ndarray]], model: str, other: str) -> np.ndarray:
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


def learning_capacity_markdown(curves: dict[str, dict[str, np.ndarray]]) -> str:
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


def plot_learning_capacity(curves: dict[str, dict[str, np.ndarray]], joint: str, title: str,
                           path: str) -> None:
    """Panels over the task t: every model's LA per task, the mean over the seeds (a band
    from the lowest to the highest seed for HAT and SGD; Joint dashed); where the family
    has both, HAT's LA minus SGD's on the same seed; where it has HAT, its cumulative
    capacity after each task, all gated units (solid, with a band) and the fullest layer
    (dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hat, sgd = hat_and_sgd(curves)
    heights = [3, *([1.6] if hat and sgd else []), *([2] if hat else [])]
    figure, axes = plt.subplots(len(heights), 1, sharex=True, squeeze=False,
                                figsize=(7, 1.6 * sum(heights) + 0.6),
                                gridspec_kw={"height_ratios": heights})
    panels = iter(axes[:, 0])

    def band(axis, tasks, rows, color):
        axis.fill_between(tasks, np.nanmin(rows, axis=0), np.nanmax(rows, axis=0),
                          alpha=0.12, color=color)

    top, colors = next(panels), {}
    for model, curve in curves.items():
        rows = curve["la"]
        tasks = np.arange(1, rows.shape[1] + 1)
        emphasis = model in hat or model == sgd
        line, = top.plot(tasks, np.nanmean(rows, axis=0), marker="o",
                         linewidth=2.2 if emphasis else 1.0, alpha=1.0 if emphasis else 0.7,
                         markersize=5 if emphasis else 3,
                         linestyle="--" if model == joint else "-",
                         label=f"{model} ({rows.shape[0]})")
        colors[model] = line.get_color()
        if emphasis:
            band(top, tasks, rows, line.get_color())
    top.set(ylabel="LA: accuracy right after\nlearning task t", title=title)
    top.legend(fontsize=7, title="model (seeds)", title_fontsize=7, ncol=2)
    top.grid(alpha=0.3)
    if hat and sgd:
        gap_axis = next(panels)
        for model in hat:
            rows = paired_gap(curves, model, sgd)
            if not len(rows):
                continue
            tasks = np.arange(1, rows.shape[1] + 1)
            gap_axis.plot(tasks, np.nanmean(rows, axis=0), marker="o", color=colors[model],
                          label=f"{model} − {sgd} ({rows.shape[0]})")
            band(gap_axis, tasks, rows, colors[model])
        gap_axis.axhline(0.0, color="grey", linewidth=0.8)
        gap_axis.set(ylabel="LA − SGD's LA\n(same seed)")
        gap_axis.legend(fontsize=7)
        gap_axis.grid(alpha=0.3)
    if hat:
        bottom = next(panels)
        for model in hat:
            capacity, fullest = curves[model]["capacity"], curves[model]["fullest"]
            tasks = np.arange(1, capacity.shape[1] + 1)
            bottom.plot(tasks, np.nanmean(capacity, axis=0), marker="o",
                        color=colors[model], label=f"{model}: all gated units")
            band(bottom, tasks, capacity, colors[model])
            bottom.plot(tasks, np.nanmean(fullest, axis=0), linestyle="--",
                        color=colors[model], label=f"{model}: fullest layer")
        bottom.axhline(1.0, color="grey", linewidth=0.8)
        bottom.set(ylabel="cumulative capacity\n(units with $a^{\\leq t}$ > 0.5)", ylim=(0, 1.05))
        bottom.legend(fontsize=7)
        bottom.grid(alpha=0.3)
    tasks = max(curve["la"].shape[1] for curve in curves.values())
    axes[-1, 0].set(xlabel="task t (the t-th of each seed's order)",
                    xticks=range(1, tasks + 1))
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def learning_capacity_caption(curves: dict[str, dict[str, np.ndarray]]) -> str:
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
    """Every finished run's training and wall time, and the grid's totals. A wall time
    shorter than the training was recorded in part: its train.py calls were killed before
    compare.py kept the time on disk."""
    rows, training, wall, partial = [], 0.0, 0.0, []
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
            f"{', '.join(partial) if partial else 'none'}).")


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
            plot_bands(scores, models, f"{spec['name']} protocol, {family['name']}",
                       os.path.join(record, plot))
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
