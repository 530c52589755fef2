"""Capacity and reuse read from hand-set gates."""

import keras
import numpy as np
import pytest

from hat_tf.hat.mask_snapshot import NETWORK, MaskSnapshot, layer_name, mask_learning_record
from hat_tf.hat.masks import update_cumulative_masks
from hat_tf.layers import TaskGate

S_MAX = 400.0


def gate_with(embedding, cumulative, name):
    gate = TaskGate(len(embedding), len(embedding[0]), name=name)
    gate.build()
    gate.embedding.assign(np.array(embedding, np.float32))
    gate.cumulative.assign(np.array(cumulative, np.float32))
    return gate


class Network(keras.Model):
    def __init__(self):
        super().__init__(name="alexnet")
        self.gate = TaskGate(2, 4, name="gate_fc1")

    def call(self, inputs):
        return self.gate(inputs, task_id=0, s=1.0)


def test_layer_name_drops_the_model_name():
    network = Network()
    network(np.zeros((1, 4), np.float32))
    assert network.gate.path == "alexnet/gate_fc1" and layer_name(network.gate) == "gate_fc1"


def test_capacity_and_reuse_of_known_masks():
    # σ(400·e) is 1 for e = 1, 0 for e = −1.
    first = gate_with([[1, 1, -1, -1], [1, -1, 1, 1]], [1, 1, 1, 1], "first")
    second = gate_with([[1, -1, -1, -1, -1, -1], [-1, -1, -1, -1, -1, 1]],
                       [1, 0, 0, 0, 0, 1], "second")
    snapshot = MaskSnapshot.read([first, second], tasks_learned=2, s_max=S_MAX)
    assert snapshot.layer_names == ["first", "second"]
    capacity = snapshot.capacity()
    assert list(capacity) == ["first", "second", NETWORK]
    assert (capacity["first"].units, capacity["first"].task, capacity["first"].cumulative) \
        == (4, 0.75, 1.0)
    assert (capacity["second"].task, capacity["second"].cumulative) == (pytest.approx(1 / 6),
                                                                        pytest.approx(2 / 6))
    assert (capacity[NETWORK].units, capacity[NETWORK].task, capacity[NETWORK].cumulative) \
        == (10, pytest.approx(4 / 10), pytest.approx(6 / 10))
    reuse = snapshot.reuse()
    np.testing.assert_allclose(reuse["first"], [[1, 1 / 3], [1 / 2, 1]])
    np.testing.assert_allclose(reuse["second"], [[1, 0], [0, 1]])
    # all units: task 0 uses 3 (2 + 1), task 1 uses 4 (3 + 1), 1 in common
    np.testing.assert_allclose(reuse[NETWORK], [[1, 1 / 4], [1 / 3, 1]])


def test_only_the_tasks_learned_are_read():
    gate = gate_with([[1, -1], [-1, 1], [1, 1]], [1, 0], "g")
    snapshot = MaskSnapshot.read([gate], tasks_learned=1, s_max=S_MAX)
    assert snapshot.task_attention[0].shape == (1, 2)
    assert snapshot.reuse()["g"].shape == (1, 1)


def test_a_network_without_gates_has_no_capacity():
    snapshot = MaskSnapshot.read([], tasks_learned=2, s_max=S_MAX)
    assert snapshot.capacity() == {} and snapshot.reuse() == {}


def test_mask_learning_record_of_known_rows():
    # task 1 of two gates: `first` flips one of its 2 units and clamps the other,
    # `second` keeps its 4; task 0's rows (and its folded mask) play no part
    first = gate_with([[9, 9], [-6, 6]], [0, 0], "first")
    second = gate_with([[9, 9, 9, 9], [1, 1, -1, -1]], [1, 1, 1, 0], "second")
    update_cumulative_masks([first, second], 1, S_MAX)
    starts = [np.array([0.5, 5.0]), np.array([1.0, 1.0, -1.0, -1.0])]
    record = mask_learning_record([first, second], starts, task_id=1, s_max=S_MAX, clip=6.0)
    assert list(record) == ["first", "second", NETWORK]
    assert record["first"] == pytest.approx({"units": 2, "moved": 3.75, "switched": 0.5,
                                             "at_clamp": 1.0, "capacity": 0.5,
                                             "cumulative_capacity": 0.5})
    assert record["second"] == pytest.approx({"units": 4, "moved": 0.0, "switched": 0.0,
                                              "at_clamp": 0.0, "capacity": 0.5,
                                              "cumulative_capacity": 0.75})
    assert record[NETWORK] == pytest.approx({"units": 6, "moved": 7.5 / 6, "switched": 1 / 6,
                                             "at_clamp": 2 / 6, "capacity": 3 / 6,
                                             "cumulative_capacity": 4 / 6})


def test_a_network_without_gates_has_no_mask_learning_record():
    assert mask_learning_record([], [], task_id=0, s_max=S_MAX, clip=6.0) == {}
