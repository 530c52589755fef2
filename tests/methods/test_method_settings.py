"""EWC's λ and LwF's λ and T are settings: train.py's --ewc-lambda, --lwf-lambda and
--lwf-temperature reach the methods' losses, and config.json records them."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

from hat_tf.catalog import build_model
from hat_tf.data import DATASETS, task_dataset
from tests.tools.tool_modules import load_tool

TINY = ["--dataset", "digits", "--tasks", "2", "--train-limit", "60", "--width", "0.125"]


@functools.cache
def train_tool():
    return load_tool("train")


def model_of(argv):
    """The model train.py builds for `argv`, from seed 0."""
    config = train_tool().to_config(train_tool().build_parser().parse_args([*TINY, *argv]))
    keras.utils.set_random_seed(0)
    return build_model(config, DATASETS.get("digits")(config.data)), config


@pytest.mark.parametrize("argv, weight", [([], 5000.0), (["--ewc-lambda", "12.5"], 12.5),
                                          (["--ewc-lambda", "0"], 0.0)])
def test_ewc_lambda_scales_the_penalty(argv, weight):
    model, config = model_of(["--model", "alexnet_ewc", *argv])
    method = model.method
    for fisher in method.fisher:  # a Fisher of ones and anchors at zero: (λ/2)·Σθ²
        fisher.assign(tf.ones_like(fisher))
    squares = sum(float(np.sum(np.square(v.numpy()))) for v in method.shared)
    assert squares > 0
    assert float(method.extra_loss(None, None, None)) == pytest.approx(0.5 * weight * squares,
                                                                       rel=1e-5)
    assert config.to_dict()["ewc"] == {"weight": weight}


@pytest.mark.parametrize("argv, weight, temperature", [
    ([], 2.0, 1.0), (["--lwf-lambda", "0.5", "--lwf-temperature", "4"], 0.5, 4.0)])
def test_lwf_lambda_and_temperature_reach_the_distillation(argv, weight, temperature):
    model, config = model_of(["--model", "alexnet_lwf", *argv])
    sequence = DATASETS.get("digits")(config.data)
    model.method.on_task_begin(1, steps_per_epoch=1)  # the old network: a copy of this one
    inputs, _ = next(iter(task_dataset([(1, sequence.tasks[1])], "train", 16)))
    logits = model.network(inputs, training=False, all_heads=True)
    # Old and new outputs equal: the loss is λ times the entropy of head 0's softmax(z/T).
    head0 = tf.cast(logits[:, 0, :sequence.tasks[0].num_classes], tf.float32) / temperature
    entropy = -tf.reduce_mean(tf.reduce_sum(tf.nn.softmax(head0) * tf.nn.log_softmax(head0),
                                            axis=-1))
    loss = model.method.extra_loss(inputs, logits, None)
    assert float(loss) == pytest.approx(weight * float(entropy), rel=1e-5)
    assert config.to_dict()["lwf"] == {"weight": weight, "temperature": temperature}
