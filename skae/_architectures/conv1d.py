"""``architecture="conv1d"``: convolutions along fixed-length signals given as flat rows.

The network is :func:`~._conv.build_conv_autoencoder`'s, with kernels of width 7 as in
Keras's Conv1D time-series autoencoder example, and by default a dense code of the width
the dense architecture would choose: with the last feature map as the code (4 times the
signal's length with the default filters) a detector learns to reconstruct anomalies too
(ECG5000, detector defaults, one seed: ROC-AUC 0.953 and accuracy 0.42 with the feature
map; 0.970 and 0.77 with the 12-wide dense code). ``input_shape`` is ``(length,)`` or
``(length, channels)``; without it each row is a one-channel signal. A row of a
multichannel signal holds its values time step by time step
(``signals.reshape(n_rows, -1)`` of an array of shape ``(n_rows, length, channels)``).
"""

from ._conv import conv_architecture
from .dense import auto_sizes

__all__ = ["ARCHITECTURE"]

ARCHITECTURE = conv_architecture(
    "conv1d",
    rank=1,
    kernel_size=7,
    reshape_name="to_signal",
    summary=(
        "strided 1-D convolutions along signals given as flat rows: each row is one "
        "channel, or ``input_shape=(length, channels)``."
    ),
    shape_forms={1: "(length,)", 2: "(length, channels)"},
    sizes="``hidden_layer_sizes`` are filters, ``(32, 16)`` by default.",
    default_sizes=lambda n_features: ((32, 16), auto_sizes(n_features)[1]),
)
