"""A standalone reproduction of the TensorFlow bug that ResNet18's shortcut works around.

    python tests/models/onednn_strided_pointwise_crash.py

The filter gradient (Conv2DBackpropFilter) of a 1×1 conv with stride 2 whose input has
fewer than 16 channels, at an odd batch size, corrupts the heap ("double free or
corruption", exit 134, or a segmentation fault, 139) in TensorFlow 2.21's oneDNN kernels on
AVX-512 CPUs (AMD EPYC Zen 4 here). Measured here, 32×32 inputs: 8 input channels crash at
batches 1, 3, 7, 17, 33, 57, 63 and not at 2, 16, 32, 48, 56, 58, 64; at batch 57, 1, 4,
8, 12 and 15 input channels crash, 16, 20, 24, 40 and 64 do not; neither do a 3×3
stride-2 conv, a 1×1 stride-1 conv, the forward pass or the input gradient.
`ONEDNN_MAX_CPU_ISA=AVX2` or `TF_ENABLE_ONEDNN_OPTS=0` make it pass. It imports only
TensorFlow and NumPy, and prints "no crash" when the kernel is fixed: then
`BasicBlock.shortcut` in hat_tf/models/resnet.py may go back to a strided conv.
"""

import numpy as np
import tensorflow as tf

BATCH, SIZE, IN_CHANNELS, OUT_CHANNELS, STRIDE = 57, 32, 8, 16, 2


def main() -> None:
    rng = np.random.default_rng(0)
    images = tf.constant(rng.random((BATCH, SIZE, SIZE, IN_CHANNELS), np.float32))
    kernel = tf.Variable(rng.random((1, 1, IN_CHANNELS, OUT_CHANNELS), np.float32))

    @tf.function
    def kernel_gradient():
        with tf.GradientTape() as tape:
            outputs = tf.nn.conv2d(images, kernel, strides=STRIDE, padding="SAME")
            loss = tf.reduce_sum(outputs * outputs)
        return tape.gradient(loss, kernel)

    for _ in range(5):
        kernel_gradient()
    print("no crash")


if __name__ == "__main__":
    main()
