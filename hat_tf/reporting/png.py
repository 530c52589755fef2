"""A matplotlib figure as PNG bytes, drawn on the Agg canvas (no display, no pyplot state,
no TensorFlow: tools/report.py imports it)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100


def to_png(figure: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
