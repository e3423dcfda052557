"""skae: scikit-learn compatible autoencoders on Keras 3 / TensorFlow.

Three estimators that drop into a ``Pipeline``, ``GridSearchCV`` or ``ColumnTransformer``:

- :class:`AutoencoderTransformer` - learn a code (``transform`` / ``inverse_transform``);
- :class:`DenoisingAutoencoder` - trained on corrupted inputs to restore clean ones;
- :class:`ReconstructionOutlierDetector` - outlier detection by reconstruction error.

Fitted estimators are saved with ``estimator.save(path)`` - and Pipelines or
ColumnTransformers holding them with :func:`save` - and read back with :func:`load`, which
never runs code from the file.

TensorFlow is imported on first use of an estimator, so ``skae.datasets`` and the command
line start fast. That first import is quiet: unless ``TF_CPP_MIN_LOG_LEVEL`` is set (a level
the user chose is kept), skae sets it to ``"3"`` first and holds back the C++ log lines
TensorFlow prints while loading (see :mod:`skae._quiet`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._errors import InvalidFileError
from ._version import __version__

_LAZY = {
    "AutoencoderTransformer": "._transformer",
    "DenoisingAutoencoder": "._denoising",
    "ReconstructionOutlierDetector": "._outlier",
    "load": "._files",
    "save": "._files",
}

__all__ = [*_LAZY, "InvalidFileError", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from ._denoising import DenoisingAutoencoder  # noqa: F401
    from ._files import load, save  # noqa: F401
    from ._outlier import ReconstructionOutlierDetector  # noqa: F401
    from ._transformer import AutoencoderTransformer  # noqa: F401


def __getattr__(name: str):
    if name in _LAZY:
        from ._quiet import import_tensorflow_quietly

        import_tensorflow_quietly()
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
