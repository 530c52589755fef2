"""Where the task embeddings start: the paper's N(0, 1), hat-cl's sparse and dense starts."""

import keras
import numpy as np
import pytest

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, HatConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.hat.embedding_init import initial_embeddings, sparse_mean


def share_on(embeddings):
    """Share of the units in each task's mask at s_max (σ(s·e) > 0.5 ⇔ e > 0)."""
    return np.mean(np.asarray(embeddings) > 0, axis=1)


@pytest.mark.parametrize("num_tasks", [2, 5, 10])
def test_the_sparse_start_puts_one_tasks_share_of_the_units_in_each_mask(num_tasks):
    keras.utils.set_random_seed(0)
    shares = share_on(initial_embeddings("sparse", num_tasks, 20000))
    np.testing.assert_allclose(shares, 1 / num_tasks, atol=0.01)
    # 1/T maximises the chance that a unit starts in exactly one task's mask
    chance = [x * (1 - x) ** (num_tasks - 1) for x in np.linspace(0.01, 0.99, 99)]
    assert np.linspace(0.01, 0.99, 99)[np.argmax(chance)] == pytest.approx(1 / num_tasks,
                                                                            abs=0.01)


def test_the_normal_start_is_a_random_half_and_the_dense_start_all_units():
    keras.utils.set_random_seed(0)
    np.testing.assert_allclose(share_on(initial_embeddings("normal", 3, 20000)), 0.5,
                               atol=0.01)
    np.testing.assert_array_equal(share_on(initial_embeddings("dense", 3, 100)), 1.0)
    assert sparse_mean(5) == pytest.approx(-0.8416, abs=1e-4)


def test_an_unknown_start_is_refused():
    with pytest.raises(ValueError, match="expected one of normal, sparse, dense, received 'x'"):
        initial_embeddings("x", 2, 3)


def test_hat_starts_every_gate_of_the_network_where_its_config_says():
    sequence = DATASETS.get("digits")(DataConfig(train_limit=20))
    masks = {}
    for strategy in ("normal", "sparse"):
        keras.utils.set_random_seed(0)
        config = RunConfig(model="alexnet_hat", width=0.125,
                           hat=HatConfig(embedding_init=strategy))
        gates = build_model(config, sequence).method.gates
        # every gate's embeddings, all tasks: 5 × 568 units at this width
        masks[strategy] = np.mean(np.concatenate([g.embedding.numpy().ravel() for g in gates])
                                  > 0)
    assert masks["normal"] == pytest.approx(0.5, abs=0.05)
    assert masks["sparse"] == pytest.approx(0.2, abs=0.05)
