"""Check the parameters Keras reads (activations, loss, optimizer, layer widths) before fit.

Keras rejects a misspelt name deep inside model building or ``compile``, with a message that
does not say which parameter was wrong, and only after the data were validated and the
network half built. These checks run with the other parameter checks at the start of
``fit``: the error names the parameter, its value, the closest valid names and where the
valid names are listed.
"""

from __future__ import annotations

import difflib
import inspect
from numbers import Integral

import keras
import numpy as np

__all__ = ["check_network_params", "optimizer_names", "overcomplete_message"]

_NOT_NAMES = {"get", "serialize", "deserialize"}
_LOSS_ALIASES = ("mse", "mae", "mape", "msle")


def _public_functions(module) -> list[str]:
    return sorted(
        n for n in dir(module)
        if not n.startswith("_") and n.islower() and n not in _NOT_NAMES
        and callable(getattr(module, n))
    )


def optimizer_names() -> list[str]:
    """Lower-case names of Keras's optimizer classes (``"adam"``, ``"sgd"``, ...)."""
    return sorted(
        cls.__name__.lower() for cls in vars(keras.optimizers).values()
        if inspect.isclass(cls) and issubclass(cls, keras.optimizers.Optimizer)
        and cls is not keras.optimizers.Optimizer
    )


def _unknown_name(param: str, value: str, valid: list[str], where: str) -> ValueError:
    close = [repr(c) for c in difflib.get_close_matches(value, valid, n=3, cutoff=0.6)]
    hint = ""
    if close:
        hint = f" Did you mean {', '.join(close[:-1]) + ' or ' if len(close) > 1 else ''}"
        hint += f"{close[-1]}?"
    return ValueError(
        f"{param}={value!r} is not a name Keras knows.{hint} Valid names: "
        f"{', '.join(valid)} ({where}), or pass a callable or object."
    )


def _knows(getter, value: str) -> bool:
    try:
        getter(value)
    except (ValueError, TypeError, KeyError):
        return False
    return True


def _check_sizes(hidden_layer_sizes) -> None:
    if hidden_layer_sizes is None:
        return
    sizes = np.atleast_1d(np.asarray(hidden_layer_sizes, dtype=object)).ravel().tolist()
    bad = [s for s in sizes if isinstance(s, bool) or not isinstance(s, Integral) or s < 1]
    if bad:
        raise ValueError(
            f"hidden_layer_sizes={hidden_layer_sizes!r} must hold positive integers (the "
            f"width of each hidden layer), e.g. (64, 32); {bad[0]!r} is not one."
        )


def check_network_params(estimator) -> None:
    """Raise a ValueError naming the parameter when Keras would reject its value.

    Checks ``hidden_layer_sizes`` (positive integers), ``activation`` and
    ``output_activation`` (names in :mod:`keras.activations`; only for the built-in
    architectures, which use them), ``loss`` (names :func:`keras.losses.get` accepts) and
    ``optimizer`` (names of :mod:`keras.optimizers` classes). Callables and objects pass.

    Parameters
    ----------
    estimator : skae estimator
        The estimator whose parameters to check.

    Raises
    ------
    ValueError
        Naming the parameter, its value, the closest valid names and the valid names.

    Examples
    --------
    >>> from skae import AutoencoderTransformer
    >>> check_network_params(AutoencoderTransformer(activation="rel"))
    Traceback (most recent call last):
    ...
    ValueError: activation='rel' is not a name Keras knows. Did you mean 'relu', ...
    """
    _check_sizes(estimator.hidden_layer_sizes)
    if estimator.model is None:
        names = _public_functions(keras.activations)
        for param in ("activation", "output_activation"):
            value = getattr(estimator, param)
            if isinstance(value, str) and not _knows(keras.activations.get, value):
                raise _unknown_name(param, value, names, "keras.activations")
    loss = estimator.loss
    if isinstance(loss, str) and not _knows(keras.losses.get, loss):
        names = sorted({*_public_functions(keras.losses), *_LOSS_ALIASES})
        raise _unknown_name("loss", loss, names, "keras.losses")
    optimizer = estimator.optimizer
    if isinstance(optimizer, str):
        names = optimizer_names()
        if optimizer.lower() not in names and not _knows(keras.optimizers.get, optimizer):
            raise _unknown_name("optimizer", optimizer, names, "keras.optimizers")


def overcomplete_message(estimator, n_features: int) -> str | None:
    """The warning for a dense code at least as wide as the input, with nothing against
    learning the identity (no noise, no dropout); None otherwise.

    Only an ``n_components`` the user chose is judged, for the built-in dense network.

    Examples
    --------
    >>> from skae import AutoencoderTransformer
    >>> overcomplete_message(AutoencoderTransformer(n_components=8), 5)[:51]
    'n_components=8 is not smaller than the 5 features o'
    >>> overcomplete_message(AutoencoderTransformer(n_components=8, dropout=0.2), 5) is None
    True
    """
    k = estimator.n_components
    if (k is None or estimator.model is not None or estimator.architecture != "dense"
            or k < n_features or estimator.dropout > 0
            or getattr(estimator, "noise_level", 0) > 0):
        return None
    return (
        f"n_components={k} is not smaller than the {n_features} features of X: the code can "
        "hold the input as it is, so the network may learn to copy it rather than its "
        f"structure. Use n_components < {n_features}, dropout > 0, or a "
        "DenoisingAutoencoder (whose noise prevents copying)."
    )
