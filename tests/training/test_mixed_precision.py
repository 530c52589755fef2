"""Mixed precision (Keras' mixed_bfloat16 policy, for CPUs with AVX512_BF16, and
mixed_float16, for GPUs): HAT still keeps task 0's outputs under it."""

import dataclasses

import keras
import numpy as np
import pytest

from hat_tf.config import DataConfig, OptimConfig, RunConfig
from hat_tf.data import task_dataset
from hat_tf.training.loop import build_model, train_task
from tests.training.test_invariant import binarise_task_masks, digits_two_tasks, silent


@pytest.fixture(autouse=True)
def float32_afterwards():
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("model_name, precision", [
    ("alexnet_hat", "mixed_float16"),
    ("alexnet_hat", "mixed_bfloat16"),
    ("resnet18_hat_bn", "mixed_bfloat16"),  # ≈ 45 s
    pytest.param("resnet18_hat_bn", "mixed_float16", marks=pytest.mark.slow)])
def test_hat_keeps_task0_logits_in_mixed_precision(model_name, precision):
    config = RunConfig(model=model_name, data=DataConfig(dataset="digits"),
                       optim=OptimConfig(optimizer="sgd", lr=0.05, epochs=1), width=0.125,
                       precision=precision)
    sequence = digits_two_tasks()
    keras.utils.set_random_seed(0)
    model = build_model(config, sequence)
    assert model.network.compute_dtype == precision.removeprefix("mixed_")
    train_task(model, sequence, 0, config, silent)
    binarise_task_masks(model, 0)
    probe = task_dataset([(0, sequence.tasks[0])], "test", batch_size=1000)
    before = model.predict(probe, verbose=0)
    trunk_before = [v.numpy() for v in model.network.trainable_variables]
    momentum = dataclasses.replace(config, optim=OptimConfig(lr=0.05, momentum=0.9, epochs=1))
    train_task(model, sequence, 1, momentum, silent)
    after = model.predict(probe, verbose=0)
    assert np.isfinite(after).all()
    assert any(not np.array_equal(v.numpy(), old)  # task 1 did train
               for v, old in zip(model.network.trainable_variables, trunk_before))
    assert np.abs(after - before)[:, :2].max() <= 1e-5
    assert keras.mixed_precision.global_policy().name == precision
    build_model(dataclasses.replace(config, precision="float32"), sequence)
    assert keras.mixed_precision.global_policy().name == "float32"
