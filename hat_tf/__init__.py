"""hat_tf: Hard Attention to the Task (Serrà et al., ICML 2018) for TensorFlow 2 / Keras 3."""

__version__ = "0.1.0"
