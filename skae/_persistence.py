"""Estimators to and from skae files: parameters, fitted attributes and network as data.

An estimator's file is a skae archive (:mod:`skae._archive`: a manifest vouching for the
size and SHA-256 digest of every member) of kind ``"estimator"`` with two members:

``meta.json``
    The estimator's class name, its parameters (``get_params()``) and the fitted
    attributes its class declares in ``_saved_attributes`` (``n_features_in_``,
    ``feature_names_in_``, ``history_``, ``n_iter_``; the detector's ``threshold_``,
    ``offset_``, its isolation forest, ...), as JSON data (:mod:`skae._codec`).
``model.keras``
    The trained network (architecture, weights, optimizer state) in Keras's own format;
    only in files of fitted estimators.

Loading parses JSON, builds the estimator from the classes registered with
:func:`register` (skae's public estimators), validates the parameters as ``fit`` would,
checks every fitted attribute against its shape, dtype and bounds, and loads the network
in Keras's safe mode, which refuses ``Lambda`` layers and other code; with
``allow_custom_objects=False`` also every class that is not Keras's own. Nothing is
unpickled and nothing is imported by a name read from the file. This module knows no
estimator class by name: it reads what each registered class declares.
"""

from __future__ import annotations

import json
import math
from numbers import Integral, Real

import numpy as np

from ._archive import check_nested_archive, parse_json, read_archive, write_archive
from ._archive import write_atomically as write_atomically
from ._codec import NotData, Refused, decode, encode, refused
from ._compat import is_routed
from ._serialization import check_keras_classes_only, network_to_bytes

__all__ = ["estimator_classes", "estimator_file", "load_estimator", "register",
           "save_estimator"]

_META = "meta.json"
_NETWORK = "model.keras"
#: Attributes that files of earlier skae versions hold and that loading rebuilds from the
#: network instead.
_REBUILT = ("n_components_", "_n_features_out")
_META_KEYS = {"class", "fitted", "params", "attributes"}
_MAX_META_BYTES = 64 * 2**20
PICKLE_HINT = (
    "skae files hold data only, so that loading one can never run code. Save this "
    "estimator with pickle or joblib instead, and load such files only from sources you "
    "trust."
)
_CLASSES: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator: ``cls`` can be saved to and loaded from skae files.

    The class declares ``_saved_attributes`` (the fitted attributes a file stores).
    """
    _CLASSES[cls.__name__] = cls
    return cls


def estimator_classes() -> dict[str, type]:
    """The registered estimator classes by name."""
    return dict(_CLASSES)


# ---------------------------------------------------------------------- saving
def _describe(estimator) -> dict[str, bytes]:
    """The members of ``estimator``'s file: ``meta.json`` and, once fitted, the network."""
    name = type(estimator).__name__
    if _CLASSES.get(name) is not type(estimator):
        raise TypeError(
            f"skae files hold skae's own estimators ({', '.join(_CLASSES)}), not "
            f"{type(estimator).__module__}.{type(estimator).__qualname__}. "
            "Use pickle or joblib for subclasses."
        )
    estimator._validate_params()  # a file that saves must load: same checks as `load`
    params = estimator.get_params(deep=False)
    unknown = _unknown_params(type(estimator), params)
    if unknown:
        raise ValueError(
            f"Cannot save {name}: {unknown[0]!r} is neither a parameter of {name} nor a "
            "routed one (model__, fit__, optimizer__, ...)."
        )
    fitted = "model_" in vars(estimator)
    attributes = {k: vars(estimator)[k] for k in type(estimator)._saved_attributes
                  if k in vars(estimator)} if fitted else {}
    try:
        meta = {
            "class": name, "fitted": fitted,
            "params": {k: encode(v, f"parameter `{k}`") for k, v in params.items()},
            "attributes": {k: encode(v, f"attribute `{k}`") for k, v in attributes.items()},
        }
    except NotData as exc:
        raise TypeError(f"Cannot save {name} to a skae file: {exc}. {PICKLE_HINT}") from None
    text = json.dumps(meta, allow_nan=False, indent=1, sort_keys=True).encode("utf-8")
    members = {_META: text}
    if fitted:
        members[_NETWORK] = network_to_bytes(estimator.model_)
    return members


def estimator_file(estimator) -> bytes:
    """The bytes of ``estimator``'s skae file."""
    return write_archive("estimator", _describe(estimator))


def save_estimator(estimator, file) -> None:
    """Write ``estimator`` to ``file`` (a path or a writable binary file object).

    A path is written atomically: to a temporary file in the same folder, renamed into
    place once complete, so a failed save never leaves a truncated file behind.
    """
    write_atomically(estimator_file(estimator), file)


# ---------------------------------------------------------------------- loading
def _check_meta(meta, network: bytes | None) -> type:
    """The estimator class named by ``meta``, after checking its layout."""
    if not isinstance(meta, dict) or set(meta) != _META_KEYS:
        raise refused(_META, f"keys {sorted(meta) if isinstance(meta, dict) else []}, "
                             f"expected {sorted(_META_KEYS)}")
    if not isinstance(meta["class"], str) or meta["class"] not in _CLASSES:
        raise Refused(
            f"unknown estimator class {meta['class']!r}; skae files hold one of "
            f"{', '.join(_CLASSES)}."
        )
    if meta["fitted"] is not (network is not None):
        raise refused(_META, f"fitted={meta['fitted']!r} but the archive "
                      f"{'has' if network is not None else 'lacks'} {_NETWORK}")
    if not isinstance(meta["params"], dict) or not isinstance(meta["attributes"], dict):
        raise refused(_META, "params and attributes must be JSON objects")
    return _CLASSES[meta["class"]]


def _unknown_params(cls, names) -> list:
    """Names that are neither ``__init__`` parameters nor scikeras-routed ones."""
    known = set(cls().get_params(deep=False))
    return [key for key in names if key not in known and not is_routed(key)]


def _build(cls, params: dict):
    """A new, unfitted ``cls`` with ``params``, validated as ``fit`` validates them."""
    unknown = _unknown_params(cls, params)
    if unknown:
        raise refused(_META, f"unknown parameter {unknown[0]!r} for {cls.__name__}")
    estimator = cls(**params)
    estimator._validate_params()  # InvalidParameterError, a ValueError, names the culprit
    return estimator


def _check_attribute_names(cls, names) -> None:
    for name in names:
        if name not in cls._saved_attributes and name not in _REBUILT:
            raise refused(_META, f"attribute name {name!r} is not allowed")


def _finite_numbers(value) -> bool:
    """False for a non-finite number or numeric array, and for a boolean."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return bool(np.isfinite(value).all())
    return not isinstance(value, Real) or math.isfinite(value)


def _check_fitted(estimator) -> None:
    """Fitted attributes are all there and agree with each other and with the network."""
    cls = type(estimator)
    required = [a for a in cls._saved_attributes if a not in cls._optional_attributes]
    missing = [a for a in required if a not in vars(estimator)]
    if missing:
        raise refused(_META, f"fitted attributes {missing} are missing")
    n = estimator.n_features_in_
    if not isinstance(n, Integral) or int(estimator.model_.inputs[0].shape[-1]) != n:
        raise refused(_META, f"n_features_in_={n!r} does not match the network's input")
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and (not isinstance(names, np.ndarray) or names.shape != (n,)):
        raise refused(_META, "feature_names_in_ does not match n_features_in_")
    for attr in cls._saved_attributes:
        value = vars(estimator).get(attr)
        if not _finite_numbers(value):
            raise refused(_META, f"{attr}={value!r} is not finite")
    check = getattr(estimator, "_check_loaded", None)
    if check is not None:  # the estimator's own consistency checks (ValueError)
        check()
    for attr, positive in getattr(cls, "_saved_feature_vectors", {}).items():
        value = vars(estimator).get(attr)
        if attr in cls._saved_attributes and value is not None and not (
                isinstance(value, np.ndarray) and value.dtype.kind == "f"
                and value.shape == (n,) and (not positive or bool((value > 0).all()))):
            raise refused(_META, f"{attr} is not a finite{' positive' if positive else ''}"
                                  f" float vector of shape ({n},)")


def load_estimator(data: bytes, *, allow_custom_objects: bool = True):
    """The estimator in the skae file ``data`` (its bytes), after every check.

    Raises
    ------
    Refused or ValueError
        For any file that is not an intact estimator file; :func:`skae.load` turns these
        into :class:`~skae.InvalidFileError` naming the file.
    """
    members = read_archive(data, "estimator")
    if not set(members) <= {_META, _NETWORK} or _META not in members:
        raise Refused(f"members {sorted(members)}; an estimator file holds {_META} and, "
                      f"when fitted, {_NETWORK} only")
    network = members.get(_NETWORK)
    meta = parse_json(members[_META], _META)
    cls = _check_meta(meta, network)
    try:
        params = {k: decode(v, f"parameter {k!r}") for k, v in meta["params"].items()}
        attributes = {k: decode(v, f"attribute {k!r}") for k, v in meta["attributes"].items()}
    except RecursionError:
        raise refused(_META, "values nested too deeply") from None
    estimator = _build(cls, params)
    if network is None:
        if attributes:
            raise refused(_META, "an unfitted estimator with fitted attributes")
        return estimator
    _check_attribute_names(cls, attributes)
    check_nested_archive(network, _NETWORK)
    if not allow_custom_objects:
        check_keras_classes_only(network)
    attributes = {k: v for k, v in attributes.items() if k not in _REBUILT}
    _restore(estimator, attributes, network)
    _check_fitted(estimator)
    return estimator


def _restore(estimator, attributes: dict, network: bytes) -> None:
    state = {**vars(estimator), **attributes, "model_": network}
    try:
        estimator.__setstate__(state)
    except Exception as exc:  # noqa: BLE001 - any failure to load the network is a refusal
        raise Refused(
            f"the network could not be loaded in Keras's safe mode "
            f"({type(exc).__name__}: {exc})"
        ) from exc
