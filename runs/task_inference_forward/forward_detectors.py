"""The numpy parts shared by this folder's scripts: the feature cache, the heads' logits,
each task's detector against the later tasks (LDA and the 1-D Gaussians of its projection),
the cascade and chain readings, and the task / class-incremental accuracy of a reading."""
import numpy as np


def load_cache(path):
    """The cache of forward_negatives.py, its float16 features as float32."""
    return {k: (v.astype(np.float32) if v.dtype == np.float16 else v)
            for k, v in np.load(path).items()}


def masked_logits(d, split):
    """(tasks, images, max classes): each task's head, -inf on the classes it lacks."""
    classes = d["classes"]
    return np.stack([np.where(np.arange(d[f"{split}_logit_{t}"].shape[1]) < classes[t],
                              d[f"{split}_logit_{t}"], -np.inf) for t in range(len(classes))])


def later_detectors(d, shrink, units=slice(None), diagonal=False):
    """Task i's LDA between its own training features and the later tasks', under its
    masks (a covariance pooled from both, shrunk by `shrink` of its mean variance), for
    i < T - 1: dicts of the direction w, the equal-prior bias b, the projection's mean and
    variance on its own images (m1, v1) and on the later tasks' (m0, v0), and how many
    later tasks there are."""
    T = len(d["classes"])
    detectors = []
    for i in range(T - 1):
        own = d[f"train_feat_{i}_{i}"][:, units]
        later = np.concatenate([d[f"train_feat_{i}_{j}"][:, units] for j in range(i + 1, T)])
        mo, mn = own.mean(0), later.mean(0)
        if diagonal:
            co, cn = np.diag(own.var(0)), np.diag(later.var(0))
            pooled = 0.5 * (np.diag(co) + np.diag(cn))
            w = (mo - mn) / (pooled + shrink * pooled.mean())
        else:
            co, cn = np.cov(own, rowvar=False), np.cov(later, rowvar=False)
            pooled = 0.5 * (co + cn)
            pooled += shrink * np.trace(pooled) / len(pooled) * np.eye(len(pooled))
            w = np.linalg.solve(pooled, mo - mn)
        detectors.append(dict(w=w, b=-w @ (mo + mn) / 2, m1=w @ mo, v1=w @ co @ w,
                              m0=w @ mn, v0=w @ cn @ w, later=T - 1 - i))
    return detectors


def projections(d, split, detectors, units=slice(None)):
    """(T - 1, images): each detector's projection of the images under its task's masks."""
    return np.stack([d[f"{split}_feat_{i}"][:, units] @ t["w"]
                     for i, t in enumerate(detectors)])


def gaussian_log_odds(z, detectors, prior):
    """(T - 1, images): log N(z; m1, v1) - log N(z; m0, v0) of each detector's projection,
    plus log(1 / later tasks) with `prior`: from the stored statistics alone."""
    return np.stack([-0.5 * (z[i] - t["m1"]) ** 2 / t["v1"] - 0.5 * np.log(t["v1"])
                     + 0.5 * (z[i] - t["m0"]) ** 2 / t["v0"] + 0.5 * np.log(t["v0"])
                     + (np.log(1 / t["later"]) if prior else 0.0)
                     for i, t in enumerate(detectors)])


def cascade(scores):
    """scores: (T-1, n) accept-scores; returns the first task whose score > 0, else T-1."""
    T = len(scores) + 1
    choice = np.full(scores.shape[1], T - 1)
    for i in range(T - 2, -1, -1):
        choice = np.where(scores[i] > 0, i, choice)
    return choice


def chain(log_odds):
    """(T, images): log P(task i) = log s(l_i) + sum_{k<i} log(1 - s(l_k)), task T taking
    what the T - 1 detectors leave."""
    accept, reject = -np.logaddexp(0, -log_odds), -np.logaddexp(0, log_odds)
    before = np.vstack([np.zeros((1, log_odds.shape[1])), np.cumsum(reject, axis=0)])
    return before + np.vstack([accept, np.zeros((1, log_odds.shape[1]))])


def accuracies(d, split, task_pred, class_pred=None):
    """(task right, class-incremental) in %: the class is the chosen head's argmax unless
    given."""
    y, truth = d[f"{split}_y"], d[f"{split}_task"]
    if class_pred is None:
        class_pred = masked_logits(d, split)[task_pred, np.arange(len(y))].argmax(1)
    right = task_pred == truth
    return 100 * right.mean(), 100 * (right & (class_pred == y)).mean()


def report(name, d, split, task_pred, class_pred=None):
    task, cil = accuracies(d, split, task_pred, class_pred)
    print(f"{name:60s} {split}: task {task:5.1f} %  CIL {cil:5.1f} %", flush=True)
