"""The chain + alpha * max logit reading (forward_chain.py) on parts of AlexNet's detector
features (the flattened conv trunk 1,024 units, fc1 and fc2 2,048 each), with a full or a
diagonal covariance, alpha 0 to 2: class-incremental accuracy, validation / test.

    python forward_chain_features.py CACHE.npz
"""
import sys

from forward_detectors import (
    accuracies,
    chain,
    gaussian_log_odds,
    later_detectors,
    load_cache,
    masked_logits,
    projections,
)

UNITS = {"all": slice(None), "trunk": slice(0, 1024), "fc1": slice(1024, 3072),
         "fc2": slice(3072, 5120), "fc1+fc2": slice(1024, 5120)}


def main(cache):
    d = load_cache(cache)
    for name, units in UNITS.items():
        for diagonal in (False, True):
            for shrink in ((0.01,) if not diagonal else (0.0, 0.1)):
                detectors = later_detectors(d, shrink, units, diagonal)
                tasks = {split: chain(gaussian_log_odds(
                    projections(d, split, detectors, units), detectors, prior=True))
                    for split in ("val", "test")}
                row = []
                for alpha in (0.0, 0.5, 1.0, 2.0):
                    cil = {split: accuracies(d, split, (tasks[split] + alpha * masked_logits(
                        d, split).max(2)).argmax(0))[1] for split in ("val", "test")}
                    row.append(f"a{alpha}: {cil['val']:.1f}/{cil['test']:.1f}")
                print(f"{name:8s} {'diag' if diagonal else 'full'} {shrink:5}  CIL val/test  "
                      + "  ".join(row), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
