"""Runs a Python script with TensorFlow's CPU split into two logical devices, so that
`--strategy mirrored` has two replicas on a machine without GPUs:

    python tests/two_cpus.py tools/train.py --strategy mirrored ...

The split must come before TensorFlow initialises its devices, hence a process of its own.
oneDNN's CPU kernels are switched off: with two replicas running convolutions side by side
they corrupt the heap (TF 2.21: ResNet18 on 2 tasks of 120 digits aborts in the first
epoch, "double free or corruption"; with TF_ENABLE_ONEDNN_OPTS=0 it trains).
"""

import os
import runpy
import sys

from hat_tf.console import import_tensorflow_quietly

if __name__ == "__main__":
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    tf = import_tensorflow_quietly()
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
