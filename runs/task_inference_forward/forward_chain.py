"""Readings of the forward detectors (forward_negatives.py) on its cached features: the
cascade with equal priors or a prior of 1 : (later tasks); the detector's log-odds from two
1-D Gaussians of the projection (own images, later tasks' images: from stored statistics
alone); the chain P(task i) = s(l_i) * prod_{k<i} (1 - s(l_k)) read alone, times each head's
softmax, or plus the task's max logit.

    python forward_chain.py CACHE.npz
"""
import sys

import numpy as np
from forward_detectors import (
    cascade,
    chain,
    gaussian_log_odds,
    later_detectors,
    load_cache,
    masked_logits,
    projections,
    report,
)


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def joint_argmax(log_probabilities):
    """(task, class) of the largest entry of (tasks, images, classes) per image."""
    tasks, images, classes = log_probabilities.shape
    best = log_probabilities.transpose(1, 0, 2).reshape(images, -1).argmax(1)
    return best // classes, best % classes


def main(cache):
    d = load_cache(cache)
    detectors = later_detectors(d, shrink=0.01)
    for split in ("val", "test"):
        z = projections(d, split, detectors)
        lda = np.stack([z[i] + t["b"] for i, t in enumerate(detectors)])
        report("LDA cascade, equal priors", d, split, cascade(lda))
        report("LDA cascade, prior 1 : later tasks", d, split,
               cascade(np.stack([lda[i] + np.log(1 / t["later"])
                                 for i, t in enumerate(detectors)])))
        logits = masked_logits(d, split)
        for prior in (False, True):
            log_odds = gaussian_log_odds(z, detectors, prior)
            report(f"1-D Gaussian log-odds cascade, prior {prior}", d, split,
                   cascade(log_odds))
            tasks = chain(log_odds)
            report(f"1-D Gaussian chain argmax, prior {prior}", d, split, tasks.argmax(0))
            report(f"chain x head softmax (joint argmax), prior {prior}", d, split,
                   *joint_argmax(tasks[:, :, None] + log_softmax(logits)))
            report(f"chain + max_logit, prior {prior}", d, split,
                   (tasks + logits.max(2)).argmax(0))


if __name__ == "__main__":
    main(*sys.argv[1:])
