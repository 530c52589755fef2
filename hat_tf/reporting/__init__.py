"""What a run reports: TensorBoard logs, report.md and its plots, the capacity warning."""

from hat_tf.reporting.capacity_warning import CapacityWarning
from hat_tf.reporting.report import MarkdownReport
from hat_tf.reporting.standard import TENSORBOARD_DIR, standard_observers
from hat_tf.reporting.tensorboard import TensorBoardReporter

__all__ = ["TENSORBOARD_DIR", "CapacityWarning", "MarkdownReport", "TensorBoardReporter",
           "standard_observers"]
