"""``architecture="conv2d"``: 3x3 convolutions over images given as flat rows.

The network is :func:`~._conv.build_conv_autoencoder`'s; ``input_shape`` is
``(height, width)`` or ``(height, width, channels)``.
"""

from ._conv import conv_architecture

__all__ = ["ARCHITECTURE"]

ARCHITECTURE = conv_architecture(
    "conv2d",
    rank=2,
    kernel_size=3,
    reshape_name="to_image",
    summary=(
        "strided convolutions and transposed convolutions over images given as flat "
        "rows of ``input_shape``."
    ),
    shape_forms={2: "(height, width)", 3: "(height, width, channels)"},
    needs_input_shape=True,
    shape_example="input_shape=(28, 28, 1) for rows of 784 pixels",
    sizes=(
        "``hidden_layer_sizes`` are filters, ``(32, 16)`` by default; ``n_components=None`` "
        "takes the flattened last feature map as the code; ``input_shape`` is required, "
        "e.g. ``(28, 28, 1)``."
    ),
)
