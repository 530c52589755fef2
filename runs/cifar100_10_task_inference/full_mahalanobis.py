"""Task inference by the Mahalanobis distance with a full shared covariance per task (Lee et
al., NeurIPS 2018; shrunk toward its mean variance) and by the relative Mahalanobis distance
(Ren et al., 2021: minus the distance to one Gaussian of all the task's training images), on
a finished run's kept checkpoint (a measurement script of docs/results.md, "Task inference
on 10-split CIFAR-100", not part of the library: hat_tf's `mahalanobis` rule keeps a diagonal
covariance). Each task's statistics come from its own training images under its own masks;
each variant is scored as is and calibrated (centred and scaled on the task's own
validation images).

    PYTHONPATH=. python runs/cifar100_10_task_inference/full_mahalanobis.py RUN_DIR OUT.json
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import score_task_inference  # noqa: E402

from hat_tf.task_detection.detector import TaskOutputs  # noqa: E402

LAYERS = {"fc2": slice(-2048, None), "all": slice(None)}
SHRINK = (1e-2,)


def main(run_dir, out):
    network, sequence, _ = score_task_inference.recorded_detector(
        run_dir, score_task_inference.check_run(run_dir))
    outputs = TaskOutputs(network)
    tasks = sequence.tasks
    T = len(tasks)
    split_images = {s: np.concatenate([t.split(s)[0] for t in tasks]) for s in ("val", "test")}
    split_tasks = {s: np.concatenate([np.full(len(t.split(s)[1]), i) for i, t in enumerate(tasks)])
                   for s in ("val", "test")}
    split_labels = {s: np.concatenate([t.split(s)[1] for t in tasks]) for s in ("val", "test")}
    scores = {}  # variant -> split -> (T, N)
    predicted = {s: np.zeros((T, len(split_tasks[s])), int) for s in ("val", "test")}
    clock = time.time()
    for t, task in enumerate(tasks):
        x_train, y_train = task.split("train")
        _, f_train = outputs(x_train, t)
        classes = int(y_train.max()) + 1
        f_split = {}
        for s in ("val", "test"):
            logits, f_split[s] = outputs(split_images[s], t)
            predicted[s][t] = np.argmax(logits[:, :classes], -1)
        for layer, cols in LAYERS.items():
            f = f_train[:, cols].astype(np.float64)
            means = np.stack([f[y_train == c].mean(0) for c in range(classes)])
            within = f - means[y_train]
            cov_w = within.T @ within / len(f)
            mu0 = f.mean(0)
            cov_0 = (f - mu0).T @ (f - mu0) / len(f)
            d = f.shape[1]
            for shrink in SHRINK:
                prec_w = np.linalg.inv(cov_w + shrink * np.trace(cov_w) / d * np.eye(d))
                prec_0 = np.linalg.inv(cov_0 + shrink * np.trace(cov_0) / d * np.eye(d))
                for s in ("val", "test"):
                    g = f_split[s][:, cols].astype(np.float64)
                    gp = g @ prec_w
                    md = (np.sum(gp * g, 1)[:, None] - 2 * gp @ means.T
                          + np.sum((means @ prec_w) * means, 1)[None])
                    md_c = md.min(1)
                    r0 = g - mu0
                    md_0 = np.sum((r0 @ prec_0) * r0, 1)
                    for name, value in ((f"maha_{layer}_{shrink:g}", -md_c),
                                        (f"relmaha_{layer}_{shrink:g}", -(md_c - md_0))):
                        scores.setdefault(name, {}).setdefault(s, np.zeros((T, len(g))))[t] = value
        print(t, round(time.time() - clock), flush=True)
    result = {}
    for name, by_split in scores.items():
        row = {}
        for calibrated in (False, True):
            sc = {s: by_split[s].copy() for s in ("val", "test")}
            if calibrated:  # each task's score centred and scaled on its own validation images
                for t in range(T):
                    own = by_split["val"][t, split_tasks["val"] == t]
                    for s in sc:
                        sc[s][t] = (sc[s][t] - own.mean()) / (own.std() + 1e-12)
            for s in ("val", "test"):
                chosen = np.argmax(sc[s], 0)
                n = np.arange(len(chosen))
                right = chosen == split_tasks[s]
                cil = right & (predicted[s][chosen, n] == split_labels[s])
                row[f"{'cal_' if calibrated else ''}{s}_task"] = float(right.mean())
                row[f"{'cal_' if calibrated else ''}{s}_cil"] = float(cil.mean())
        result[name] = row
        print(name, {k: round(v, 4) for k, v in row.items()}, flush=True)
    json.dump(result, open(out, "w"), indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
