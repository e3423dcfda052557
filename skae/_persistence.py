"""Save and load estimators as data: one zip file that cannot run code when loaded.

A skae file is a zip archive with two members:

``meta.json``
    The estimator's class name, the skae version and the file format version, its
    parameters (``get_params()``) and the fitted attributes its class declares in
    ``_saved_attributes`` (``n_features_in_``, ``feature_names_in_``, ``history_``,
    ``n_iter_``; the detector's ``threshold_``, ``offset_``, ...), all as JSON. Values
    JSON lacks are tagged one-key objects: ``{"__tuple__": [...]}``,
    ``{"__ndarray__": {"dtype", "shape", "data"}}`` (numbers, booleans and strings only),
    ``{"__float__": "nan"}``, ``{"__numpy__": [dtype, value]}``, ``{"__dict__": {...}}``,
    ``{"__path__": "..."}`` and ``{"__random_state__": {...}}``.
``model.keras``
    The trained network (architecture, weights, optimizer state) in Keras's own format;
    only in files of fitted estimators.

Loading parses JSON, builds the estimator from skae's public estimator classes (those
``skae`` exports that declare ``_saved_attributes``), validates the parameters as ``fit``
would, and loads the network in Keras's safe mode, which refuses ``Lambda`` layers and
other code; with ``allow_custom_objects=False`` also every class that is not Keras's own.
Nothing is unpickled, nothing is imported by a name read from the file, and every member
of the archive is accounted for. This module knows no estimator class by name: it reads
what each class declares.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import pathlib
import tempfile
import warnings
import zipfile
from numbers import Integral, Real

import numpy as np

from ._serialization import check_keras_classes_only, network_to_bytes

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "load", "save_estimator", "write_atomically"]

#: Value of ``meta.json``'s ``"format"`` key.
FORMAT_NAME = "skae.estimator"
#: Version of the layout described above; bumped on any change a reader must know about.
FORMAT_VERSION = 1

_META = "meta.json"
_NETWORK = "model.keras"
#: Attributes that files of earlier skae versions hold and that loading rebuilds from the
#: network instead.
_REBUILT = ("n_components_", "_n_features_out")
_META_KEYS = {"format", "format_version", "skae_version", "class", "fitted", "params",
              "attributes"}
_MAX_META_BYTES = 64 * 2**20
_MAX_RATIO = 200  # refuse deflated members that would expand more than this (zip bombs)
_NUMERIC_KINDS = "biuf"
_PICKLE_HINT = (
    "skae files hold data only, so that loading one can never run code. Save this "
    "estimator with pickle or joblib instead, and load such files only from sources you "
    "trust."
)


class _NotData(TypeError):
    """A value that cannot be written to a skae file as data."""


# ---------------------------------------------------------------------- values <-> JSON
def _encode(value, where: str):
    """``value`` as JSON-ready data; raise :class:`_NotData` for code or unknown objects."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) is int:
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.generic) and value.dtype.kind in _NUMERIC_KINDS:
        return {"__numpy__": [value.dtype.str, _encode(value.item(), where)]}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if type(value) is tuple:
        return {"__tuple__": [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if type(value) is dict and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: _encode(v, f"{where}[{k!r}]") for k, v in value.items()}}
    if type(value) is np.ndarray and value.dtype.kind in _NUMERIC_KINDS + "U":
        return {"__ndarray__": {"dtype": value.dtype.str, "shape": list(value.shape),
                                "data": [_encode(v, where) for v in value.ravel().tolist()]}}
    if (type(value) is np.ndarray and value.dtype == object
            and all(isinstance(v, str) for v in value.ravel())):
        return {"__ndarray__": {"dtype": "object", "shape": list(value.shape),
                                "data": value.ravel().tolist()}}
    if isinstance(value, pathlib.PurePath):
        return {"__path__": str(value)}
    if type(value) is np.random.RandomState:
        name, keys, pos, has_gauss, cached = value.get_state(legacy=True)
        return {"__random_state__": {"keys": keys.tolist(), "pos": int(pos),
                                     "has_gauss": int(has_gauss), "cached": float(cached)}}
    if isinstance(value, type):
        kind = f"the class {value.__qualname__}"
    elif callable(value) and hasattr(value, "__qualname__"):
        kind = f"the function {value.__qualname__}"
    else:
        kind = f"an object of type {type(value).__qualname__}"
    raise _NotData(f"{where} is {kind}, which is code or an object, not data")


def _corrupt(where: str, problem: str) -> ValueError:
    return ValueError(f"Corrupt or tampered skae file: {where}: {problem}.")


def _decode(obj, where: str):
    """Inverse of :func:`_encode`; anything unexpected is a ``ValueError``."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise _corrupt(where, "non-finite number outside a __float__ tag")
        return obj
    if isinstance(obj, list):
        return [_decode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if not isinstance(obj, dict) or len(obj) != 1:
        raise _corrupt(where, "expected a value or a one-key tagged object")
    (tag, body), = obj.items()
    if tag == "__float__" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag == "__tuple__" and isinstance(body, list):
        return tuple(_decode(v, f"{where}[{i}]") for i, v in enumerate(body))
    if tag == "__dict__" and isinstance(body, dict):
        return {k: _decode(v, f"{where}[{k!r}]") for k, v in body.items()}
    if tag == "__numpy__" and isinstance(body, list) and len(body) == 2:
        dtype = _numeric_dtype(body[0], where)
        value = _decode(body[1], where)
        if not isinstance(value, (bool, int, float)):
            raise _corrupt(where, "numpy scalar without a number")
        try:
            return dtype.type(value)
        except (OverflowError, ValueError, TypeError):
            raise _corrupt(where, f"{value!r} does not fit dtype {dtype}") from None
    if tag == "__ndarray__" and isinstance(body, dict):
        return _decode_array(body, where)
    if tag == "__path__" and isinstance(body, str):
        return pathlib.Path(body)
    if tag == "__random_state__" and isinstance(body, dict):
        try:
            keys = np.asarray(body["keys"], dtype=np.uint32)
            rs = np.random.RandomState()
            rs.set_state(("MT19937", keys, int(body["pos"]), int(body["has_gauss"]),
                          float(body["cached"])))
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise _corrupt(where, f"invalid random state ({exc})") from None
        return rs
    raise _corrupt(where, f"unknown or malformed tag {tag!r}")


def _numeric_dtype(name, where: str) -> np.dtype:
    try:
        dtype = np.dtype(name) if isinstance(name, str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in _NUMERIC_KINDS:
        raise _corrupt(where, f"dtype {name!r} is not a numeric dtype")
    return dtype


def _decode_array(body: dict, where: str) -> np.ndarray:
    if set(body) != {"dtype", "shape", "data"} or not isinstance(body["data"], list):
        raise _corrupt(where, "malformed array")
    shape = body["shape"]
    if not (isinstance(shape, list)
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
        raise _corrupt(where, "malformed array shape")
    data = [_decode(v, where) for v in body["data"]]
    if body["dtype"] == "object":  # strings only, e.g. feature_names_in_
        if not all(isinstance(v, str) for v in data):
            raise _corrupt(where, "object arrays may hold strings only")
        dtype = np.dtype(object)
    elif isinstance(body["dtype"], str) and body["dtype"].lstrip("<>|=").startswith("U"):
        dtype = np.dtype(body["dtype"])
        if not all(isinstance(v, str) for v in data):
            raise _corrupt(where, "string array holds non-strings")
    else:
        dtype = _numeric_dtype(body["dtype"], where)
        if not all(isinstance(v, (bool, int, float)) for v in data):
            raise _corrupt(where, "numeric array holds non-numbers")
    if math.prod(shape) != len(data):
        raise _corrupt(where, f"{len(data)} values do not fill shape {tuple(shape)}")
    array = np.empty(len(data), dtype=dtype)
    try:
        array[:] = data
    except (OverflowError, ValueError, TypeError):
        raise _corrupt(where, f"values do not fit dtype {dtype}") from None
    return array.reshape(shape)


# ---------------------------------------------------------------------- saving
def _estimator_classes() -> dict:
    """skae's public estimator classes by name: those that declare what a file saves."""
    import skae

    public = ((name, getattr(skae, name)) for name in skae.__all__)
    return {
        name: obj for name, obj in public
        if isinstance(obj, type) and isinstance(getattr(obj, "_saved_attributes", None), tuple)
    }


def _describe(estimator) -> tuple[dict, bytes | None]:
    """``meta.json``'s content and the network's ``.keras`` bytes (None if unfitted)."""
    from . import __version__

    name = type(estimator).__name__
    classes = _estimator_classes()
    if classes.get(name) is not type(estimator):
        raise TypeError(
            f"skae files hold skae's own estimators ({', '.join(classes)}), not "
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
    network = network_to_bytes(estimator.model_) if fitted else None
    attributes = {
        k: vars(estimator)[k] for k in type(estimator)._saved_attributes
        if k in vars(estimator)
    }
    try:
        encoded_params = {k: _encode(v, f"parameter `{k}`") for k, v in params.items()}
        encoded_attributes = {k: _encode(v, f"attribute `{k}`") for k, v in attributes.items()}
    except _NotData as exc:
        raise TypeError(f"Cannot save {name} to a skae file: {exc}. {_PICKLE_HINT}") from None
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "skae_version": __version__,
        "class": name,
        "fitted": network is not None,
        "params": encoded_params,
        "attributes": encoded_attributes if network is not None else {},
    }
    return meta, network


def _archive(meta: dict, network: bytes | None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        text = json.dumps(meta, allow_nan=False, indent=1, sort_keys=True)
        zf.writestr(_META, text, compress_type=zipfile.ZIP_DEFLATED)
        if network is not None:  # already a compressed zip itself
            zf.writestr(_NETWORK, network, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def save_estimator(estimator, file) -> None:
    """Write ``estimator`` to ``file`` (a path or a writable binary file object).

    A path is written atomically: to a temporary file in the same folder, renamed into
    place once complete, so a failed save never leaves a truncated file behind.
    """
    write_atomically(_archive(*_describe(estimator)), file)


def write_atomically(payload: bytes, file) -> None:
    """Write ``payload`` to a writable binary file object, or atomically to a path."""
    if hasattr(file, "write"):
        file.write(payload)
        return
    path = os.fspath(file)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".skae-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------- loading
def _read_member(zf: zipfile.ZipFile, name: str, limit: int | None) -> bytes:
    info = zf.getinfo(name)
    if limit is not None and info.file_size > limit:
        raise _corrupt(name, f"{info.file_size} bytes, more than the {limit} allowed")
    if (info.compress_type != zipfile.ZIP_STORED and info.file_size > 2**20
            and info.file_size > _MAX_RATIO * max(info.compress_size, 1)):
        raise _corrupt(name, "compression ratio of a decompression bomb")
    with zf.open(info) as f:
        return f.read()


def _unpack(file) -> tuple[dict, bytes | None]:
    where = getattr(file, "name", file) if not isinstance(file, (str, os.PathLike)) else file
    try:
        with zipfile.ZipFile(file) as zf:
            names = zf.namelist()
            if len(names) != len(set(names)) or not set(names) <= {_META, _NETWORK}:
                raise _corrupt(
                    "archive", f"members {sorted(names)}; a skae file holds {_META} and, "
                    f"when fitted, {_NETWORK} only"
                )
            if _META not in names:
                raise ValueError(f"{where!s} is a zip archive but not a skae file: no {_META}.")
            raw_meta = _read_member(zf, _META, _MAX_META_BYTES)
            network = _read_member(zf, _NETWORK, None) if _NETWORK in names else None
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{where!s} is not a skae file (not a zip archive: {exc}).") from None
    try:
        meta = json.loads(raw_meta.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _corrupt(_META, f"not valid JSON ({type(exc).__name__})") from None
    return meta, network


def _refuse_constant(name: str):
    raise json.JSONDecodeError(f"bare {name}", name, 0)


def _check_header(meta, network: bytes | None):
    """The estimator class named by ``meta``, after checking format and version."""
    from . import __version__

    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ValueError(f"Not a skae estimator file: {_META} lacks format={FORMAT_NAME!r}.")
    version = meta.get("format_version")
    saved_by = meta.get("skae_version")
    if not isinstance(version, int) or isinstance(version, bool) or version != FORMAT_VERSION:
        raise ValueError(
            f"This file uses skae file format version {version!r} (written by skae "
            f"{saved_by!s}); this skae ({__version__}) reads format version {FORMAT_VERSION} "
            "only. Load it with the skae version that wrote it."
        )
    if set(meta) != _META_KEYS:
        raise _corrupt(_META, f"keys {sorted(meta)}, expected {sorted(_META_KEYS)}")
    classes = _estimator_classes()
    if not isinstance(meta["class"], str) or meta["class"] not in classes:
        raise ValueError(
            f"Unknown estimator class {meta['class']!r} in skae file; skae files hold one of "
            f"{', '.join(classes)}."
        )
    if meta["fitted"] is not (network is not None):
        raise _corrupt(_META, f"fitted={meta['fitted']!r} but the archive "
                       f"{'has' if network is not None else 'lacks'} {_NETWORK}")
    if not isinstance(meta["params"], dict) or not isinstance(meta["attributes"], dict):
        raise _corrupt(_META, "params and attributes must be JSON objects")
    if saved_by != __version__:
        warnings.warn(
            f"This skae file was written by skae {saved_by!s} and is loaded by skae "
            f"{__version__}. The file format is the same (version {FORMAT_VERSION}); check "
            "that the estimator behaves as expected.",
            UserWarning,
            stacklevel=3,
        )
    return classes[meta["class"]]


def _unknown_params(cls, names) -> list:
    """Names that are neither ``__init__`` parameters nor scikeras-routed ones."""
    known = set(cls().get_params(deep=False))
    prefixes = cls._routing_prefixes
    return [
        key for key in names
        if key not in known and not (key.isidentifier() and not key.startswith("_") and any(
            key.startswith(p + "__") for p in prefixes))
    ]


def _build(cls, params: dict):
    """A new, unfitted ``cls`` with ``params``, validated as ``fit`` validates them."""
    unknown = _unknown_params(cls, params)
    if unknown:
        raise _corrupt(_META, f"unknown parameter {unknown[0]!r} for {cls.__name__}")
    estimator = cls(**params)
    estimator._validate_params()  # InvalidParameterError, a ValueError, names the culprit
    return estimator


def _check_attribute_names(cls, names) -> None:
    for name in names:
        if name not in cls._saved_attributes and name not in _REBUILT:
            raise _corrupt(_META, f"attribute name {name!r} is not allowed")


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
        raise _corrupt(_META, f"fitted attributes {missing} are missing")
    n = estimator.n_features_in_
    if not isinstance(n, Integral) or int(estimator.model_.inputs[0].shape[-1]) != n:
        raise _corrupt(_META, f"n_features_in_={n!r} does not match the network's input")
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and (not isinstance(names, np.ndarray) or names.shape != (n,)):
        raise _corrupt(_META, "feature_names_in_ does not match n_features_in_")
    for attr in cls._saved_attributes:
        value = vars(estimator).get(attr)
        if not _finite_numbers(value):
            raise _corrupt(_META, f"{attr}={value!r} is not finite")
    check = getattr(estimator, "_check_loaded", None)
    if check is not None:  # the estimator's own consistency checks (ValueError)
        check()
    for attr, positive in getattr(cls, "_saved_feature_vectors", {}).items():
        value = vars(estimator).get(attr)
        if attr in cls._saved_attributes and value is not None and not (
                isinstance(value, np.ndarray) and value.dtype.kind == "f"
                and value.shape == (n,) and (not positive or bool((value > 0).all()))):
            raise _corrupt(_META, f"{attr} is not a finite{' positive' if positive else ''}"
                                  f" float vector of shape ({n},)")


def load(file, *, allow_custom_objects: bool = True):
    """Load an estimator saved by ``save`` - without running any code from the file.

    Parameters
    ----------
    file : str, path-like or binary file object
        A file written by the ``save`` method of a skae estimator or by :func:`skae.save`
        (which also writes Pipelines and ColumnTransformers holding skae estimators).
    allow_custom_objects : bool, default=True
        Keras's safe mode never runs a ``Lambda`` layer, but it does build any class
        that this process registered with ``keras.saving.register_keras_serializable``
        (or holds in a custom object scope) when the file names it, so a file can make
        such a class run its ``__init__`` and ``call``. ``False`` allows only Keras's
        own classes in the network and refuses any other with a ``ValueError``: use it
        for files from others.

    Returns
    -------
    estimator : AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector \
or Pipeline, ColumnTransformer, FeatureUnion
        The object, with the parameters and (if it was fitted) the fitted attributes and
        networks it was saved with; its outputs are identical to the saved object's.

    Raises
    ------
    ValueError
        If the file is a pickle or joblib file (the message says how to load it), is not a
        skae file, was written in another file format version, names
        an unknown class or unknown parameters, holds a network with code in it (such as a
        ``Lambda`` layer, refused by Keras's safe mode; with
        ``allow_custom_objects=False``, any class that is not Keras's own) or was
        otherwise tampered with.

    See Also
    --------
    pickle, joblib : Also store estimators with user code (a ``model`` builder,
        callbacks), but run code when loaded: use them for trusted files only.

    Notes
    -----
    The file is a zip archive of ``meta.json`` (class, versions, parameters and fitted
    attributes as JSON) and, for a fitted estimator, ``model.keras`` (the network in
    Keras's format). Nothing is unpickled, and the network is loaded in Keras's safe mode,
    so a tampered file is refused rather than run. A file written by another skae version
    with the same format version loads with a ``UserWarning``.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skae import ReconstructionOutlierDetector, load
    >>> X = np.random.default_rng(0).normal(size=(100, 4))
    >>> det = ReconstructionOutlierDetector(epochs=2, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "detector.skae")
    >>> det.save(path)
    >>> loaded = load(path, allow_custom_objects=False)
    >>> bool(np.array_equal(loaded.score_samples(X), det.score_samples(X)))
    True
    """
    from ._pipeline_io import is_composite, load_composite, refuse_foreign_file

    refuse_foreign_file(file)  # a pickle or joblib file: say so, and how to load it
    if is_composite(file):  # a Pipeline or ColumnTransformer written by skae.save
        return load_composite(file, allow_custom_objects=allow_custom_objects)
    meta, network = _unpack(file)
    cls = _check_header(meta, network)
    try:
        params = {k: _decode(v, f"parameter {k!r}") for k, v in meta["params"].items()}
        attributes = {k: _decode(v, f"attribute {k!r}") for k, v in meta["attributes"].items()}
    except RecursionError:
        raise _corrupt(_META, "values nested too deeply") from None
    estimator = _build(cls, params)
    if network is None:
        if attributes:
            raise _corrupt(_META, "an unfitted estimator with fitted attributes")
        return estimator
    _check_attribute_names(cls, attributes)
    if not allow_custom_objects:
        check_keras_classes_only(network)
    attributes = {k: v for k, v in attributes.items() if k not in _REBUILT}
    state = {**vars(estimator), **attributes, "model_": network}
    try:
        estimator.__setstate__(state)
    except Exception as exc:  # noqa: BLE001 - any failure to load the network is a refusal
        raise ValueError(
            f"The network in this skae file could not be loaded in Keras's safe mode "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    _check_fitted(estimator)
    return estimator
