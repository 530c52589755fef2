import numpy as np
import pytest

from hat_tf.training.results import (
    acc,
    bwt,
    forgetting_ratio,
    learning_accuracy,
    matrix_csv,
    random_classifier_acc,
    write_atomically,
)

MATRIX = [[0.9, None, None], [0.8, 0.7, None], [0.6, 0.7, 0.5]]


def test_acc_is_the_mean_of_the_last_row():
    assert acc(MATRIX) == pytest.approx(0.6)


def test_bwt_compares_the_last_row_with_the_diagonal():
    assert bwt(MATRIX) == pytest.approx(((0.6 - 0.9) + (0.7 - 0.7)) / 2)
    assert bwt([[0.9]]) == 0.0


def test_learning_accuracy_is_the_diagonal_and_splits_acc_with_bwt():
    assert learning_accuracy(MATRIX) == pytest.approx((0.9 + 0.7 + 0.5) / 3)
    tasks = len(MATRIX)
    assert acc(MATRIX) == pytest.approx(learning_accuracy(MATRIX)
                                        + (tasks - 1) / tasks * bwt(MATRIX))


def test_random_classifier_uses_training_label_frequencies():
    train, test = np.array([0, 0, 0, 1]), np.array([0, 1])
    assert random_classifier_acc(train, test, 2) == pytest.approx(0.75 * 0.5 + 0.25 * 0.5)
    assert random_classifier_acc(np.array([0, 1]), np.array([0, 0]), 3) == pytest.approx(0.5)


def test_csv_leaves_cells_above_the_diagonal_empty():
    lines = matrix_csv(MATRIX, ["a", "b", "c"]).splitlines()
    assert lines[0] == "trained_task,a,b,c"
    assert lines[1] == "a,0.900000,,"


def test_forgetting_ratio_is_zero_at_joint_and_minus_one_at_random():
    joint = [[0.9, None], [0.8, 0.7]]
    chance = [0.5, 0.25]
    np.testing.assert_allclose(forgetting_ratio(joint, joint, chance), [0.0, 0.0])
    at_chance = [[0.5, None], [0.5, 0.25]]
    np.testing.assert_allclose(forgetting_ratio(at_chance, joint, chance), [-1.0, -1.0])


def test_forgetting_ratio_by_hand():
    joint = [[0.9, None], [0.8, 0.7]]
    run = [[0.9, None], [0.65, 0.7]]
    chance = [0.5, 0.25]
    # t=2: task 0: (0.65−0.5)/(0.8−0.5) − 1 = −0.5; task 1: 0 → mean −0.25
    np.testing.assert_allclose(forgetting_ratio(run, joint, chance), [0.0, -0.25])


def test_write_atomically_takes_text_and_bytes(tmp_path):
    write_atomically(str(tmp_path / "a.txt"), "é\n")
    write_atomically(str(tmp_path / "b.png"), b"\x89PNG\x00")
    assert (tmp_path / "a.txt").read_text() == "é\n"
    assert (tmp_path / "b.png").read_bytes() == b"\x89PNG\x00"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.png"]
