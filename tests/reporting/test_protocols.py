"""Named protocols: the runs a grid trains and the order it trains them in."""

import pytest

from hat_tf.methods.registry import METHODS
from hat_tf.reporting.protocols import (
    ALEXNET,
    ALEXNET_MORE,
    PROTOCOLS,
    RESNET18,
    Family,
    Protocol,
    Stage,
    more_methods,
)

SHARED = (Family("first", "joint", ("hat", "sgd")),
          Family("second", "joint", ("lwf",), first_seed_only=("joint", "lwf")))


def order(protocol, **kwargs):
    return [(seed, model) for seed, _, model in protocol.runs(**kwargs)]


def test_without_stages_the_grid_runs_seed_by_seed_and_a_shared_joint_once():
    protocol = Protocol("p", "", "digits", (), SHARED, seeds=(0, 1))
    assert order(protocol) == [(0, "joint"), (0, "hat"), (0, "sgd"), (0, "lwf"),
                               (1, "joint"), (1, "hat"), (1, "sgd")]
    # a family chosen alone keeps its Joint, though the first family has it too
    assert order(protocol, families=("second",)) == [(0, "joint"), (0, "lwf")]
    assert order(protocol, seeds=(1,)) == [(1, "joint"), (1, "hat"), (1, "sgd")]


def test_stages_set_the_order_and_seeds_they_do_not_name_come_last():
    protocol = Protocol("p", "", "digits", (), SHARED, seeds=(0, 1), stages=(
        Stage((0,), ("joint", "hat", "sgd", "lwf")), Stage((1,), ("joint", "hat")),
        Stage((1,), ("sgd",))))
    assert order(protocol) == [(0, "joint"), (0, "hat"), (0, "sgd"), (0, "lwf"),
                               (1, "joint"), (1, "hat"), (1, "sgd")]
    assert order(protocol, seeds=(2, 1)) == [(1, "joint"), (1, "hat"), (1, "sgd"),
                                             (2, "joint"), (2, "hat"), (2, "sgd")]


@pytest.mark.parametrize("stages, message", [
    ((Stage((0, 1), ("joint", "hat", "sgd", "lwf")),), r"\[\(1, 'lwf'\)\] or leave out \[\]"),
    ((Stage((0, 1), ("joint", "hat")), Stage((0,), ("lwf",))),
     r"\[\] or leave out \[\(0, 'sgd'\), \(1, 'sgd'\)\]"),
])
def test_stages_must_list_every_run_of_the_grid_and_no_other(stages, message):
    with pytest.raises(ValueError, match=message):
        Protocol("p", "", "digits", (), SHARED, seeds=(0, 1), stages=stages)


def test_cpu10_trains_in_the_issues_order_of_work():
    """Seed 0 with every AlexNet model; seeds 1 and 2 for Joint, HAT, EWC, PNN and SGD;
    LwF and SGD-F at seeds 1 and 2; the ResNet18 family at seed 0."""
    cpu10 = PROTOCOLS["cpu10"]
    core = ("alexnet_joint", "alexnet_hat", "alexnet_ewc", "alexnet_pnn", "alexnet_sgd")
    assert order(cpu10) == [
        *((0, model) for model in ALEXNET.models),
        *((seed, model) for seed in (1, 2) for model in core),
        *((seed, model) for seed in (1, 2) for model in ("alexnet_lwf", "alexnet_sgd_frozen")),
        *((0, model) for model in ("resnet18_joint", "resnet18_hat_bn", "resnet18_sgd")),
        *((0, model) for model in ALEXNET_MORE.methods)]  # the methods added after it began
    assert cpu10.options == ("--epochs", "15")  # all 10 tasks, cpu's cap
    assert cpu10.families[1].options == ("--width", "0.25")


def test_the_methods_the_paper_family_lacks_come_from_the_registry_and_train_last():
    """Every registered method but the references (Joint, multitask) and the paper family's
    own is in alexnet_more, against the same Joint run: cpu trains it last at each seed,
    cpu10 last of all, at seed 0, and neither grid's earlier runs move."""
    expected = {f"alexnet_{name}" for name in METHODS.names()} - set(ALEXNET.models) - {
        "alexnet_multitask"}
    assert set(ALEXNET_MORE.methods) == expected
    assert {"alexnet_adahat", "alexnet_sgd_restart", "alexnet_lfl", "alexnet_imm_mean",
            "alexnet_imm_mode"} <= expected
    assert ALEXNET_MORE.joint == ALEXNET.joint
    cpu = PROTOCOLS["cpu"]
    for seed in cpu.seeds:
        at_seed = [model for s, model in order(cpu) if s == seed]
        assert at_seed[-len(ALEXNET_MORE.methods):] == list(ALEXNET_MORE.methods)
        assert at_seed.count("alexnet_joint") == 1
    assert order(cpu, families=("alexnet", "resnet18")) == [
        run for run in order(cpu) if run[1] not in ALEXNET_MORE.methods]


def test_more_methods_lists_only_models_the_catalog_has():
    """PathNet trains only its own network: `alexnet_pathnet` joins AlexNet's family,
    no `resnet18_pathnet` joins ResNet18's."""
    assert "alexnet_pathnet" in more_methods(ALEXNET, "alexnet").methods
    resnet = more_methods(RESNET18, "resnet18").methods
    assert "resnet18_pathnet" not in resnet and "resnet18_sgd" not in resnet
    assert {"resnet18_adahat", "resnet18_ewc"} <= set(resnet)


def test_the_gpu_benchmark_is_cifar100_10s_resnet18_rows_at_full_width():
    """Same tasks, budget and published ResNet18 number; ResNet18 without the CPU's width
    option, at seed 0; the AlexNet rows stay cifar100_10's."""
    cpu, gpu = PROTOCOLS["cifar100_10"], PROTOCOLS["cifar100_10_gpu"]
    assert (gpu.dataset, gpu.options) == (cpu.dataset, cpu.options)
    assert [published.model for published in gpu.published] == ["resnet18_hat_bn"]
    assert order(gpu) == [(0, "resnet18_multitask"), (0, "resnet18_hat_bn"),
                          (0, "resnet18_sgd")]
    assert gpu.families[0].options == ()
    assert {family.name: family for family in cpu.families}["resnet18"].options == (
        "--width", "0.25")
