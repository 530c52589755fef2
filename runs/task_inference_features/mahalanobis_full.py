"""Mahalanobis distance with one full covariance per task (shared by its classes, Lee et
al., NeurIPS 2018, as TPL reads it), against hat_tf's diagonal one, measured offline on a
kept checkpoint's outputs (dump.py); not part of hat_tf.

    python mahalanobis_full.py OUTPUTS.npz STAGE LAMBDA...

STAGE: `all` (the detector's features: AlexNet's flattened conv trunk, fc1 and fc2) or
`fc2`. Per task, on the units its masks leave on (variance over its training images above
1e-6 of the largest), the covariance of its training features around their class means,
shrunk towards its mean variance (Σ + λ·tr(Σ)/D·I). Printed per rule: share of val / test
images whose task is inferred right, class-incremental accuracy on test (%). Rows:
"/own mean" divides each task's distance by its mean on the task's own training images
(what hat_tf's rule does), "raw" does not, "/D" divides by the number of units on;
"relative" subtracts the distance to one Gaussian of all the task's images (Ren et al.,
"A Simple Fix to Mahalanobis Distance", 2021); "tpl" is hat_tf's `tpl` rule (TPL's Eq. 9
without replay: the max logit and 1 / distance, each over its mean on the task's own
training images, composed as −log(e^{−a} + e^{−b})) with the full covariance.
"""
import sys

import numpy as np


def evaluate(data, name, score):
    """Prints the share of val / test images whose task `score(task, split)` infers right
    (the task of the largest score) and the class-incremental accuracy on test (%)."""
    classes = data["classes"]
    printed = []
    for split in ("val", "test"):
        labels, tasks = data[f"{split}_y"], data[f"{split}_task"]
        inferred = np.stack([score(t, split) for t in range(len(classes))], 1).argmax(1)
        logits = [data[f"{split}_logit_{t}"][:, :classes[t]] for t in range(len(classes))]
        predicted = np.array([logits[t][i].argmax() for i, t in enumerate(inferred)])
        right = inferred == tasks
        printed.append((right.mean(), (right & (predicted == labels)).mean()))
    print(f"{name:40s} val {printed[0][0]*100:5.1f}  test {printed[1][0]*100:5.1f}  "
          f"cil {printed[1][1]*100:5.1f}", flush=True)


def shrunk_inverse(covariance, lam):
    size = len(covariance)
    return np.linalg.inv(covariance + lam * np.trace(covariance) / size * np.eye(size))


def squared_distances(rows, centre, precision):
    centred = rows - centre
    return ((centred @ precision) * centred).sum(1)


def main(path, stage, *lambdas):
    data = np.load(path)
    classes = data["classes"]
    num_tasks = len(classes)

    def stage_features(features):
        return features[:, -2048:] if stage == "fc2" else features

    train = {t: stage_features(data[f"train_feat_{t}"].astype(np.float64))
             for t in range(num_tasks)}
    stats = {}
    for t in range(num_tasks):
        labels = data[f"train_y_{t}"]
        means = np.stack([train[t][labels == c].mean(0) for c in range(classes[t])])
        residuals = train[t] - means[labels]
        variance = residuals.var(0)
        active = np.flatnonzero(variance > 1e-6 * variance.max())
        covariance = residuals[:, active].T @ residuals[:, active] / (len(labels) - classes[t])
        stats[t] = (means, variance, active, covariance)
        print("task", t, "active", len(active), "of", train[t].shape[1], flush=True)
    cache = {}

    def features(t, split):
        if (t, split) not in cache:
            cache[(t, split)] = stage_features(data[f"{split}_feat_{t}"].astype(np.float64))
        return cache[(t, split)]

    evaluate(data, "max_logit", lambda t, split: data[f"{split}_logit_{t}"][:, :classes[t]].max(1))

    def diagonal(t, split, floor=1e-4):  # hat_tf's `mahalanobis` rule
        means, variance, _, _ = stats[t]
        weights = 1 / (variance + floor * variance.mean() + 1e-12)
        distance = np.min([((features(t, split) - m) ** 2 * weights).sum(1) for m in means], 0)
        return -distance / (weights * variance).sum()

    evaluate(data, "diag (hat_tf's rule)", diagonal)
    for lam in map(float, lambdas):
        precision, own, background = {}, {}, {}
        for t in range(num_tasks):
            means, _, active, covariance = stats[t]
            precision[t] = shrunk_inverse(covariance, lam)
            rows = train[t][:, active]
            labels = data[f"train_y_{t}"]
            own[t] = squared_distances(rows, means[labels][:, active], precision[t]).mean()
            centred = rows - rows.mean(0)
            background[t] = (rows.mean(0),
                             shrunk_inverse(centred.T @ centred / (len(rows) - 1), lam))

        def raw(t, split, precision=precision):
            means, _, active, _ = stats[t]
            rows = features(t, split)[:, active]
            return -np.min([squared_distances(rows, m[active], precision[t]) for m in means], 0)

        def relative(t, split, raw=raw, background=background):
            rows = features(t, split)[:, stats[t][2]]
            return raw(t, split) + squared_distances(rows, *background[t])

        evaluate(data, f"full lam {lam} (/own mean)",
                 lambda t, s, raw=raw, own=own: raw(t, s) / own[t])
        evaluate(data, f"full lam {lam} (raw)", raw)
        evaluate(data, f"full lam {lam} (/D)", lambda t, s, raw=raw: raw(t, s) / len(stats[t][2]))
        evaluate(data, f"relative lam {lam}", relative)
        evaluate(data, f"tpl lam {lam}", tpl_score(data, raw))


def tpl_score(data, raw):
    """hat_tf's `tpl` rule on the distance `raw` gives (minus the squared distance)."""
    classes = data["classes"]

    def parts(t, split):
        max_logit = data[f"{split}_logit_{t}"][:, :classes[t]].max(1)
        return max_logit, 1 / np.maximum(-raw(t, split), 1e-12)

    scales = [[part.mean() for part in parts(t, "train")] for t in range(len(classes))]

    def score(t, split):
        a, b = (part / scale for part, scale in zip(parts(t, split), scales[t]))
        return -np.logaddexp(-a, -b)
    return score


if __name__ == "__main__":
    main(*sys.argv[1:])
