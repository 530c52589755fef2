"""A task sequence from a user's arrays or tf.data datasets (data/user_tasks.py)."""

import numpy as np
import pytest
import tensorflow as tf

from hat_tf.config import DataConfig
from hat_tf.data.user_tasks import task_sequence

RNG = np.random.default_rng(0)


def split(n, labels):
    return (RNG.integers(0, 256, (n, 8, 8, 3), dtype=np.uint8),
            RNG.choice(labels, n).astype(np.int64))


def test_arrays_become_tasks_with_local_labels_and_a_validation_split():
    train = [split(40, [3, 7]), split(40, [0, 1, 2])]
    test = [split(10, [3, 7]), split(10, [0, 1, 2])]
    sequence = task_sequence(train, test, task_names=["a", "b"],
                             data=DataConfig(val_fraction=0.25))
    assert sequence.task_names == ["a", "b"] and sequence.classes_per_task == [2, 3]
    first = sequence.tasks[0]
    assert first.class_names == ("3", "7")
    assert len(first.y_train) == 30 and len(first.y_val) == 10 and len(first.y_test) == 10
    np.testing.assert_array_equal(first.y_test, (test[0][1] == 7).astype(np.int32))
    pixels = np.concatenate([train[0][0], train[1][0]]).astype(np.float64)
    np.testing.assert_allclose(sequence.channel_mean, pixels.mean(axis=(0, 1, 2)))
    np.testing.assert_allclose(sequence.channel_std, pixels.std(axis=(0, 1, 2)))


@pytest.mark.parametrize("batched", [True, False])
def test_a_tf_data_dataset_gives_the_same_tasks_as_its_arrays(batched):
    train, test = split(30, [0, 1]), split(10, [0, 1])
    dataset = tf.data.Dataset.from_tensor_slices(train)
    from_arrays = task_sequence([train], [test])
    from_dataset = task_sequence([dataset.batch(7) if batched else dataset], [test])
    np.testing.assert_array_equal(from_dataset.tasks[0].x_train, from_arrays.tasks[0].x_train)
    np.testing.assert_array_equal(from_dataset.tasks[0].y_val, from_arrays.tasks[0].y_val)


@pytest.mark.parametrize("train, test, expected", [
    ([split(10, [0, 1])], [], "one train and one test split per task"),
    ([split(10, [0, 1])], [(np.zeros((4, 9, 9, 3)), np.zeros(4, int))], "of one shape"),
    ([(np.zeros((4, 8, 8, 3)), np.zeros(3, int))], [split(4, [0])], "one integer label"),
    ([(np.zeros((4, 8, 8, 3)), np.zeros(4))], [split(4, [0])], "one integer label"),
])
def test_inconsistent_data_is_refused(train, test, expected):
    with pytest.raises(ValueError, match=expected):
        task_sequence(train, test)
