"""Where a task's gate embeddings start: the paper's N(0, 1), or hat-cl's sparse and dense
starts (Duan, hat-cl, `HATConfig.init_strat`)."""

from __future__ import annotations

from statistics import NormalDist

import keras

EMBEDDING_INITS = ("normal", "sparse", "dense")


def sparse_mean(num_tasks: int) -> float:
    """The mean of the sparse start: Φ⁻¹(1/T), so that each task's mask starts on a share
    1/T of the units (σ(s_max·e) > 0.5 where e > 0). 1/T maximises x·(1 − x)^{T−1}, the
    chance that a unit starts in exactly one task's mask (hat-cl's reason for it)."""
    return NormalDist().inv_cdf(1.0 / num_tasks) if num_tasks > 1 else 0.0


def initial_embeddings(strategy: str, num_tasks: int, units: int):
    """A (num_tasks, units) table of gate embeddings under `strategy`:

    - `normal`: N(0, 1), the paper's (§2.1) and its reference code's: every task's mask
      starts as a random half of the units;
    - `sparse`: N(Φ⁻¹(1/T), 1): a random share 1/T of the units (`sparse_mean`);
    - `dense`: every embedding 1: every unit starts in every mask.

    Draws from Keras' global seed (`keras.utils.set_random_seed`)."""
    if strategy == "normal":
        return keras.random.normal((num_tasks, units))
    if strategy == "sparse":
        return keras.random.normal((num_tasks, units), mean=sparse_mean(num_tasks))
    if strategy == "dense":
        return keras.ops.ones((num_tasks, units))
    raise ValueError(f"embedding init: expected one of {', '.join(EMBEDDING_INITS)}, "
                     f"received {strategy!r}")
