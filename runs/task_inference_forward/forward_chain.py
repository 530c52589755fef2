"""Readings of the forward detectors (forward_negatives.py) on its cached features: the
cascade with equal priors or a prior of 1 : (later tasks); the detector's log-odds from two
1-D Gaussians of the projection (own images, later tasks' images: from stored statistics
alone); the chain P(task i) = s(l_i) * prod_{k<i} (1 - s(l_k)) read alone, times each head's
softmax, or plus the task's max logit.

    python forward_chain.py CACHE.npz
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from forward_negatives import cascade  # noqa: E402

d = {k: (v.astype(np.float32) if v.dtype == np.float16 else v) for k, v in np.load(sys.argv[1]).items()}
classes = d["classes"]; T = len(classes)
shrink = 0.01


def stats(x):
    return x.mean(0), np.cov(x, rowvar=False)


def logits_of(split):
    return np.stack([np.where(np.arange(d[f"{split}_logit_{t}"].shape[1]) < classes[t],
                              d[f"{split}_logit_{t}"], -np.inf) for t in range(T)])  # T,n,C


def score(name, split, task_pred=None, joint=None):
    y, truth = d[f"{split}_y"], d[f"{split}_task"]
    lg = logits_of(split)
    if joint is not None:  # T, n, C log-probabilities
        flat = joint.transpose(1, 0, 2).reshape(len(y), -1)
        best = flat.argmax(1); task_pred, cls = best // lg.shape[2], best % lg.shape[2]
    else:
        cls = lg[task_pred, np.arange(len(y))].argmax(1)
    print(f"{name:60s} {split}: task {100*(task_pred==truth).mean():5.1f} %  CIL "
          f"{100*((task_pred==truth)&(cls==y)).mean():5.1f} %", flush=True)


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


dets = []
for i in range(T - 1):
    mo, co = stats(d[f"train_feat_{i}_{i}"])
    mn, cn = stats(np.concatenate([d[f"train_feat_{i}_{j}"] for j in range(i + 1, T)]))
    cov = 0.5 * (co + cn); cov += shrink * np.trace(cov) / len(cov) * np.eye(len(cov))
    w = np.linalg.solve(cov, mo - mn)
    # 1-D Gaussians of the projection, from the stored statistics alone
    dets.append(dict(w=w, b=-w @ (mo + mn) / 2, m1=w @ mo, v1=w @ co @ w, m0=w @ mn,
                     v0=w @ cn @ w, later=T - 1 - i))


def gauss_logodds(z, t, prior):
    lo = (-0.5 * (z - t["m1"]) ** 2 / t["v1"] - 0.5 * np.log(t["v1"])
          + 0.5 * (z - t["m0"]) ** 2 / t["v0"] + 0.5 * np.log(t["v0"]))
    return lo + (np.log(1 / t["later"]) if prior else 0.0)


for split in ("val", "test"):
    feats = [d[f"{split}_feat_{i}"] for i in range(T)]
    z = np.stack([feats[i] @ t["w"] for i, t in enumerate(dets)])
    lda = np.stack([z[i] + t["b"] for i, t in enumerate(dets)])
    score("LDA cascade, equal priors", split, cascade(lda))
    score("LDA cascade, prior 1 : later tasks", split,
          cascade(np.stack([lda[i] + np.log(1 / t["later"]) for i, t in enumerate(dets)])))
    for prior in (False, True):
        lo = np.stack([gauss_logodds(z[i], t, prior) for i, t in enumerate(dets)])
        score(f"1-D Gaussian log-odds cascade, prior {prior}", split, cascade(lo))
        # probabilistic chain: log P(task i) = log s(l_i) + sum_{k<i} log(1 - s(l_k))
        ls = -np.logaddexp(0, -lo); l1s = -np.logaddexp(0, lo)
        chain = np.zeros((T, lo.shape[1]))
        acc = np.zeros(lo.shape[1])
        for i in range(T - 1):
            chain[i] = acc + ls[i]; acc = acc + l1s[i]
        chain[T - 1] = acc
        score(f"1-D Gaussian chain argmax, prior {prior}", split, chain.argmax(0))
        lg = logits_of(split)
        score(f"chain x head softmax (joint argmax), prior {prior}", split,
              joint=chain[:, :, None] + log_softmax(lg))
        score(f"chain + max_logit, prior {prior}", split,
              (chain + lg.max(2)).argmax(0))
