"""ResNet18's strided 1×1 shortcut, computed around a oneDNN heap corruption (issue 21).

TF 2.21's oneDNN filter gradient of a strided 1×1 conv with fewer than 16 input channels
corrupts the heap at odd batch sizes on AVX-512 CPUs (onednn_strided_pointwise_crash.py
beside this file reproduces it); `BasicBlock.shortcut` subsamples such inputs and convolves
at stride 1.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tests.models.test_resnet import network

REPO = Path(__file__).resolve().parents[2]
REPRODUCTION = Path(__file__).with_name("onednn_strided_pointwise_crash.py")
AT_CRASH_SHAPES = Path(__file__).with_name("resnet18_at_crash_shapes.py")
ENV = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}


def train(run_dir, model, width):
    """The command of issue 21: digits, 1 epoch, two tasks (the crash came at task 2)."""
    return subprocess.run(
        [sys.executable, str(REPO / "tools" / "train.py"), "--model", model, "--dataset",
         "digits", "--width", str(width), "--epochs", "1", "--tasks", "2", "--seed", "0",
         "--run-dir", str(run_dir)],
        env=ENV, capture_output=True, text=True, timeout=1200)


def test_subsampled_shortcut_is_the_strided_projection():
    """At width 1/8 the first strided shortcut takes 8 channels: it subsamples."""
    net = network("resnet18_hat_bn", width=0.125)
    block = next(b for b in net.blocks if b.subsample == 2)
    inputs = tf.constant(np.random.default_rng(0).normal(size=(2, 32, 32, 8)), tf.float32)
    task_id = tf.zeros([2], tf.int32)
    shortcut = block.shortcut(inputs, task_id, None, training=False)
    strided = tf.nn.conv2d(inputs, block.shortcut_conv.kernel, strides=2, padding="SAME")
    expected = block.shortcut_bn(strided, task_id=task_id, training=False)
    np.testing.assert_allclose(shortcut.numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
    assert [b.subsample for b in network("resnet18_hat_bn", width=0.25).blocks] == [1] * 8


def run_alone(script, *args):
    """`script` in a Python process of its own: a heap corruption fails the test, not the
    test run."""
    return subprocess.run([sys.executable, str(script), *args], env=ENV, capture_output=True,
                          text=True, timeout=300)


def test_resnet18_hat_bn_gradient_at_the_crash_shapes_runs():
    """Width 1/8 (8 channels into the first strided shortcut) and a batch of 57 (digits'
    task 2 ended in one): the shapes that took the process down. The whole command of
    issue 21 trains under `-m slow` (test_every_width_trains_two_tasks)."""
    done = run_alone(AT_CRASH_SHAPES)
    assert done.returncode == 0 and "no crash" in done.stdout, done.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("width", [0.125, 0.25, 0.5, 1])
@pytest.mark.parametrize("model", ["resnet18_hat_bn", "resnet18_hat", "alexnet_hat"])
def test_every_width_trains_two_tasks(tmp_path, model, width):
    done = train(tmp_path / "run", model, width)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "after task 2/2" in done.stdout


def avx512() -> bool:
    try:
        return "avx512f" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not avx512(), reason="the oneDNN bug needs an AVX-512 CPU")
def test_the_tensorflow_bug_still_reproduces():
    """Fails once TensorFlow fixes the kernel: then the workaround can go."""
    done = run_alone(REPRODUCTION)
    assert done.returncode != 0 and not re.search("no crash", done.stdout), (
        "the strided 1×1 conv no longer crashes: BasicBlock.shortcut may use a strided conv")


@pytest.mark.slow
@pytest.mark.skipif(not avx512(), reason="the oneDNN bug needs an AVX-512 CPU")
def test_without_the_workaround_the_crash_shapes_crash():
    """The default test above can fail: the same gradient with strided shortcuts."""
    done = run_alone(AT_CRASH_SHAPES, "--strided-shortcut")
    assert done.returncode != 0 and "no crash" not in done.stdout
