import numpy as np
import pytest

from hat_tf.config import DataConfig
from hat_tf.data import (
    DATASETS,
    DataUnavailableError,
    InvalidDataError,
    TaskCountError,
    sources,
    task_dataset,
)
from hat_tf.data.pipeline import array_batches


def fake_cifar_dir(path, per_class=5):
    """cifar10.npz / cifar100.npz as keras.datasets returns them, `per_class` images each."""
    rng = np.random.default_rng(0)
    for name, classes in (("cifar10", 10), ("cifar100", 100)):
        labels = np.repeat(np.arange(classes), per_class)
        arrays = {f"x_{split}": rng.integers(0, 256, (len(labels), 32, 32, 3), dtype=np.uint8)
                  for split in ("train", "test")}
        np.savez(path / f"{name}.npz", y_train=labels.reshape(-1, 1), y_test=labels, **arrays)
    return str(path)


def test_digits_are_five_binary_tasks_of_rgb_32x32():
    sequence = DATASETS.get("digits")(DataConfig(dataset="digits"))
    assert sequence.task_names == [f"digits-{d}-{d + 1}" for d in range(0, 10, 2)]
    for task in sequence.tasks:
        assert task.x_train.shape[1:] == (32, 32, 3) and task.x_train.dtype == np.uint8
        assert set(np.unique(task.y_train)) == {0, 1} and set(np.unique(task.y_test)) == {0, 1}
        total = len(task.y_train) + len(task.y_val)
        assert len(task.y_val) == round(0.15 * total)
        assert len(task.y_test) > 40


def test_seed_moves_the_validation_split_not_the_test_set():
    first = DATASETS.get("digits")(DataConfig(seed=0)).tasks[0]
    second = DATASETS.get("digits")(DataConfig(seed=1)).tasks[0]
    np.testing.assert_array_equal(first.x_test, second.x_test)
    assert not np.array_equal(first.x_val, second.x_val)


def test_limits_cut_tasks_and_training_examples():
    sequence = DATASETS.get("digits")(DataConfig(num_tasks=2, train_limit=100, val_fraction=0.2))
    assert len(sequence.tasks) == 2
    assert [(len(t.y_train), len(t.y_val)) for t in sequence.tasks] == [(80, 20), (80, 20)]


@pytest.mark.parametrize("num_tasks", [6, 0])
def test_a_task_count_the_benchmark_cannot_give_is_refused(num_tasks):
    message = f"^digits has 5 tasks, received num_tasks={num_tasks}$"
    with pytest.raises(TaskCountError, match=message):
        DATASETS.get("digits")(DataConfig(num_tasks=num_tasks))


def test_cifar_is_the_papers_ten_tasks_in_a_seeded_order(tmp_path):
    data_dir = fake_cifar_dir(tmp_path)
    sequence = DATASETS.get("cifar")(DataConfig(dataset="cifar", data_dir=data_dir, seed=0))
    assert sorted(sequence.task_names) == sorted(
        [f"cifar10-{c}-{c + 1}" for c in range(0, 10, 2)]
        + [f"cifar100-{c}-{c + 19}" for c in range(0, 100, 20)])
    assert sorted(sequence.classes_per_task) == [2] * 5 + [20] * 5
    other = DATASETS.get("cifar")(DataConfig(dataset="cifar", data_dir=data_dir, seed=1))
    assert other.task_names != sequence.task_names
    task = sequence.tasks[sequence.task_names.index("cifar100-40-59")]
    assert task.class_names[0] == "lamp" and set(np.unique(task.y_test)) == set(range(20))
    assert sequence.channel_mean == (125.3, 123.0, 113.9)


def test_cifar100_10_is_ten_tasks_of_ten_classes_in_order(tmp_path):
    sequence = DATASETS.get("cifar100_10")(
        DataConfig(dataset="cifar100_10", data_dir=fake_cifar_dir(tmp_path)))
    assert sequence.task_names == [f"cifar100-{c}-{c + 9}" for c in range(0, 100, 10)]
    assert sequence.classes_per_task == [10] * 10


def test_cifar10_5_is_five_tasks_of_two_consecutive_classes_in_class_order(tmp_path):
    data_dir = fake_cifar_dir(tmp_path)
    sequence = DATASETS.get("cifar10_5")(DataConfig(dataset="cifar10_5", data_dir=data_dir))
    assert sequence.task_names == [f"cifar10-{c}-{c + 1}" for c in range(0, 10, 2)]
    assert sequence.classes_per_task == [2] * 5
    assert sequence.tasks[4].class_names == ("ship", "truck")
    with np.load(tmp_path / "cifar10.npz") as arrays:
        # task 1's test images are exactly CIFAR-10's images of classes 2 and 3, labelled 0, 1
        wanted = np.isin(arrays["y_test"], [2, 3])
        np.testing.assert_array_equal(sequence.tasks[1].x_test, arrays["x_test"][wanted])
        np.testing.assert_array_equal(sequence.tasks[1].y_test, arrays["y_test"][wanted] - 2)
        # every training image of the task is in its training or validation split
        train_count = np.isin(arrays["y_train"].ravel(), [2, 3]).sum()
    task = sequence.tasks[1]
    assert len(task.y_train) + len(task.y_val) == train_count
    assert len(task.y_val) == round(0.15 * train_count)
    assert sequence.channel_mean == (125.3, 123.0, 113.9)
    other = DATASETS.get("cifar10_5")(
        DataConfig(dataset="cifar10_5", data_dir=data_dir, seed=1))
    assert other.task_names == sequence.task_names  # the seed does not reorder the tasks
    assert not np.array_equal(other.tasks[0].x_val, sequence.tasks[0].x_val)


def test_malformed_arrays_are_refused(tmp_path):
    fake_cifar_dir(tmp_path)
    with np.load(tmp_path / "cifar10.npz") as arrays:
        broken = dict(arrays)
    broken["y_train"] = broken["y_train"] + 5
    np.savez(tmp_path / "cifar10.npz", **broken)
    with pytest.raises(InvalidDataError, match=r"expected labels in 0..9, received 5..14"):
        DATASETS.get("cifar")(DataConfig(dataset="cifar", data_dir=str(tmp_path)))


def test_without_data_dir_or_network_no_download_is_tried(monkeypatch):
    monkeypatch.setattr(sources, "_download_host_reachable", lambda: False)
    with pytest.raises(DataUnavailableError, match="--data-dir DIR"):
        sources.load_cifar("cifar10", data_dir=None)


def test_pipeline_carries_the_task_id_of_every_example():
    sequence = DATASETS.get("digits")(DataConfig(num_tasks=2, train_limit=40))
    batches = list(task_dataset(list(enumerate(sequence.tasks)), "val", batch_size=8))
    task_ids = np.concatenate([inputs["task_id"].numpy() for inputs, _ in batches])
    np.testing.assert_array_equal(task_ids, [0] * 6 + [1] * 6)
    assert batches[0][0]["image"].dtype == "uint8"


def test_array_batches_cover_the_arrays_in_order_with_a_shorter_last_batch():
    images, task_ids = np.arange(10).reshape(5, 2), np.arange(5)
    batches = list(array_batches(images, task_ids, batch_size=2))
    assert [len(image_batch) for image_batch, _ in batches] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate([b for b, _ in batches]), images)
    np.testing.assert_array_equal(np.concatenate([t for _, t in batches]), task_ids)
