"""Two-task HAT runs on two replicas, for tests/training/test_distribute.py. Run it through
tests/two_cpus.py (MirroredStrategy needs two devices, made before TensorFlow starts):

    python tests/two_cpus.py tests/training/replica_runs.py MODEL [--single-device-too]
        [--batch-norm-too]

It prints one JSON object: `drift`, the largest change of task 0's test logits over task 1
(task 0's masks saturated as in test_invariant.py); `replica_spread`, the largest
difference between two replicas' copies of a network variable; `traces`, the traces of
the train step; with --single-device-too, `weight_difference`, the largest difference
of a network variable from the same run on one device (dropout off in both: its masks are
drawn per replica); with --batch-norm-too, `batch_norm` (batch_norm_differences).
"""

import argparse
import json

import keras
import numpy as np
import tensorflow as tf

from hat_tf.catalog import build_model
from hat_tf.config import DataConfig, HatConfig, OptimConfig, RunConfig
from hat_tf.data import task_dataset
from hat_tf.layers import TaskBatchNormalization
from hat_tf.training.loop import train_task
from tests.training.test_invariant import S_MAX, binarise_task_masks, digits_two_tasks, silent

OPTIM = OptimConfig(optimizer="sgd", lr=0.05, momentum=0.9, epochs=1)


def two_tasks(model_name: str, strategy: tf.distribute.Strategy):
    """Trains tasks 0 and 1 under `strategy`; returns task 0's logit drift and the model."""
    config = RunConfig(model=model_name, data=DataConfig(dataset="digits"), optim=OPTIM,
                       hat=HatConfig(s_max=S_MAX), width=0.125)
    sequence = digits_two_tasks()
    keras.utils.set_random_seed(0)
    model = build_model(config, sequence, strategy)
    train_task(model, sequence, 0, config, silent)
    binarise_task_masks(model, 0)
    probe = task_dataset([(0, sequence.tasks[0])], "test", batch_size=1000)
    before = model.predict(probe, verbose=0)
    train_task(model, sequence, 1, config, silent)
    drift = np.abs(model.predict(probe, verbose=0) - before)[:, :2].max()
    return float(drift), model


def replica_spread(model) -> float:
    """The largest difference between a replica's copy of a variable and the first's."""
    spread = 0.0
    for variable in model.network.variables:
        copies = [c.numpy() for c in model.distribute_strategy.experimental_local_results(
            variable.value)]
        spread = max([spread] + [float(np.abs(c - copies[0]).max()) for c in copies])
    return spread


def batch_norm_differences(mirrored: tf.distribute.MirroredStrategy) -> dict:
    """A per-task BatchNorm trained on 5 examples of two tasks (as Joint's batches mix
    them) split 3/2 over two replicas against one device: the largest differences of the
    outputs and of the moving statistics, and the spread of the replicas' copies of those."""
    x = np.random.default_rng(0).normal(3.0, 2.0, (5, 4, 4, 3)).astype(np.float32)
    task_id = np.array([1, 1, 0, 0, 0], np.int32)  # the second replica holds no task 1
    single = TaskBatchNormalization(num_tasks=2)
    expected = single(x, task_id, training=True).numpy()
    with mirrored.scope():
        norm = TaskBatchNormalization(num_tasks=2)
        norm.build(x.shape)
    shares = mirrored.experimental_distribute_values_from_function(
        lambda context: (x[:3], task_id[:3]) if context.replica_id_in_sync_group == 0
        else (x[3:], task_id[3:]))
    outputs = mirrored.run(tf.function(lambda share: norm(*share, training=True)),
                           args=(shares,))
    moving = [norm.moving_mean, norm.moving_variance]
    copies = [[c.numpy() for c in mirrored.experimental_local_results(v.value)] for v in moving]
    return {
        "output": float(np.abs(np.concatenate(mirrored.experimental_local_results(outputs))
                               - expected).max()),
        "moving": max(float(np.abs(c[0] - v.numpy()).max())
                      for c, v in zip(copies, [single.moving_mean, single.moving_variance])),
        "spread": max(float(np.abs(c[1] - c[0]).max()) for c in copies),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--single-device-too", action="store_true")
    parser.add_argument("--batch-norm-too", action="store_true")
    args = parser.parse_args()
    if args.single_device_too:
        keras.layers.Dropout.call = lambda self, inputs, training=False: inputs
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    drift, model = two_tasks(args.model, mirrored)
    report = {"drift": drift, "replica_spread": replica_spread(model),
              "traces": model.traces_of_train_step}
    if args.single_device_too:
        _, single = two_tasks(args.model, tf.distribute.get_strategy())
        report["weight_difference"] = max(
            float(np.abs(a.numpy() - b.numpy()).max())
            for a, b in zip(model.network.variables, single.network.variables))
    if args.batch_norm_too:
        report["batch_norm"] = batch_norm_differences(mirrored)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
