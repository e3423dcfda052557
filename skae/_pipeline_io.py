"""Save and load Pipelines and ColumnTransformers that hold skae estimators, as data.

:func:`save` writes a skae estimator in its own format (``estimator.save``) and a
:class:`~sklearn.pipeline.Pipeline`, :class:`~sklearn.compose.ColumnTransformer` or
:class:`~sklearn.pipeline.FeatureUnion` as one zip archive:

``composite.json``
    The object as a tree. A scikit-learn step is ``{"__sklearn__": {"class", "state"}}``:
    its class, named by its public import path and taken on load from a fixed list of
    scikit-learn classes (:data:`SKLEARN_CLASSES`), and its state - parameters and fitted
    attributes - as JSON data (arrays, numbers, strings, slices, dtypes). A skae estimator is
    ``{"__skae__": "estimators/<n>.skae"}``.
``estimators/<n>.skae``
    Each skae estimator, in the file format of ``estimator.save``.

:func:`skae.load` reads both formats. Nothing is unpickled and no class is imported by a
name read from the file: an unknown class, parameter or value is refused, so loading a
file cannot run code. Steps that are code (a ``FunctionTransformer``'s function, a custom
transformer) cannot be stored as data and are refused on saving, with the reason.
"""

from __future__ import annotations

import importlib
import inspect
import io
import json
import os
import zipfile

import numpy as np

from . import _persistence as _est_io

__all__ = ["SKLEARN_CLASSES", "is_composite", "load_composite", "refuse_foreign_file", "save"]

FORMAT_NAME = "skae.composite"
FORMAT_VERSION = 1
_TREE = "composite.json"
_TREE_KEYS = {"format", "format_version", "skae_version", "root"}
_MAX_ESTIMATORS = 1000

#: The scikit-learn classes a composite file can hold, by their public import path.
SKLEARN_CLASSES = (
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.compose.ColumnTransformer",
    "sklearn.preprocessing.StandardScaler",
    "sklearn.preprocessing.MinMaxScaler",
    "sklearn.preprocessing.MaxAbsScaler",
    "sklearn.preprocessing.RobustScaler",
    "sklearn.preprocessing.Normalizer",
    "sklearn.preprocessing.OneHotEncoder",
    "sklearn.preprocessing.OrdinalEncoder",
    "sklearn.impute.SimpleImputer",
    "sklearn.impute.MissingIndicator",
    "sklearn.decomposition.PCA",
    "sklearn.feature_selection.VarianceThreshold",
)
_SCALAR_DTYPE_KINDS = "biufcUO"


def _sklearn_classes() -> dict:
    classes = {}
    for path in SKLEARN_CLASSES:
        module, name = path.rsplit(".", 1)
        classes[path] = getattr(importlib.import_module(module), name)
    return classes


def _is_skae(obj) -> bool:
    return type(obj) in set(_est_io._estimator_classes().values())


# ---------------------------------------------------------------------- saving
class _Writer:
    """Encodes an object tree, collecting the skae estimators' files on the way."""

    def __init__(self):
        self.members: dict[str, bytes] = {}
        self.paths = {cls: path for path, cls in _sklearn_classes().items()}

    def encode(self, value, where: str):
        if _is_skae(value):
            buffer = io.BytesIO()
            _est_io.save_estimator(value, buffer)
            member = f"estimators/{len(self.members)}.skae"
            self.members[member] = buffer.getvalue()
            return {"__skae__": member}
        if type(value) in self.paths:
            state = {k: self.encode(v, f"{where}.{k}") for k, v in vars(value).items()}
            return {"__sklearn__": {"class": self.paths[type(value)], "state": state}}
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if type(value) is tuple:
            return {"__tuple__": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if type(value) is dict and all(isinstance(k, str) for k in value):
            return {"__dict__": {k: self.encode(v, f"{where}[{k!r}]") for k, v in value.items()}}
        return _encode_leaf(value, where)


def _encode_leaf(value, where: str):
    if type(value) is slice:
        return {"__slice__": [_est_io._encode(v, where) for v in
                              (value.start, value.stop, value.step)]}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        dtype = np.dtype(value)
        if dtype.kind in _SCALAR_DTYPE_KINDS:
            tag = "__dtype__" if isinstance(value, np.dtype) else "__scalar_type__"
            return {tag: dtype.str}
    if type(value) is np.ndarray and value.dtype == object:
        return {"__object_array__": {"shape": list(value.shape), "data": [
            _est_io._encode(v, f"{where}[{i}]") for i, v in enumerate(value.ravel().tolist())
        ]}}
    if _is_code_step(value):
        raise _est_io._NotData(
            f"{where} is a {type(value).__name__}, which wraps a Python function: code, "
            "not data"
        )
    if hasattr(value, "get_params") and hasattr(value, "fit"):
        raise _est_io._NotData(
            f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which is not "
            f"among the scikit-learn classes a skae file holds as data "
            f"({', '.join(p.rsplit('.', 1)[1] for p in SKLEARN_CLASSES)})"
        )
    return _est_io._encode(value, where)


def _is_code_step(value) -> bool:
    from sklearn.preprocessing import FunctionTransformer

    return isinstance(value, FunctionTransformer)


def save(obj, file) -> None:
    """Save a skae estimator, or a Pipeline or ColumnTransformer holding some, as data.

    A skae estimator is written as by its ``save`` method. A
    :class:`~sklearn.pipeline.Pipeline`, :class:`~sklearn.compose.ColumnTransformer` or
    :class:`~sklearn.pipeline.FeatureUnion` of skae estimators and scikit-learn steps
    (scalers, encoders, imputers, PCA, ... listed in :data:`SKLEARN_CLASSES`), fitted or
    not, is written as one zip file: the scikit-learn steps' classes, parameters and
    fitted attributes as JSON data, each skae estimator in its own format. Read either
    with :func:`skae.load`, which runs no code from the file (unlike pickle).

    Parameters
    ----------
    obj : skae estimator, Pipeline, ColumnTransformer or FeatureUnion
        The object to save.
    file : str, path-like or binary file object
        Where to write. A path is written atomically (no truncated file on failure).

    Raises
    ------
    TypeError
        If ``obj`` holds a step that is code rather than data - a
        ``FunctionTransformer``, a custom transformer, a skae estimator with a ``model``
        builder or callbacks - or a scikit-learn class outside the list. Use pickle or
        joblib for such objects, and load those files only from trusted sources.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import skae
    >>> X = np.random.default_rng(0).normal(size=(100, 4))
    >>> pipe = make_pipeline(
    ...     StandardScaler(), skae.ReconstructionOutlierDetector(epochs=2, random_state=0)
    ... ).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "pipeline.skae")
    >>> skae.save(pipe, path)
    >>> loaded = skae.load(path)
    >>> bool(np.array_equal(loaded.score_samples(X), pipe.score_samples(X)))
    True
    """
    if _is_skae(obj):
        _est_io.save_estimator(obj, file)
        return
    if type(obj).__name__ not in ("Pipeline", "ColumnTransformer", "FeatureUnion"):
        raise TypeError(
            "skae.save writes a skae estimator, or a scikit-learn Pipeline, "
            f"ColumnTransformer or FeatureUnion holding some; got {type(obj).__name__}."
        )
    from . import __version__

    writer = _Writer()
    try:
        root = writer.encode(obj, type(obj).__name__)
    except _est_io._NotData as exc:
        raise TypeError(
            f"Cannot save this {type(obj).__name__} to a skae file: {exc}. "
            f"{_est_io._PICKLE_HINT}"
        ) from None
    tree = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
            "skae_version": __version__, "root": root}
    _est_io.write_atomically(_archive(tree, writer.members), file)


def _archive(tree: dict, members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        text = json.dumps(tree, allow_nan=False, indent=1, sort_keys=True)
        zf.writestr(_TREE, text, compress_type=zipfile.ZIP_DEFLATED)
        for name, payload in members.items():
            zf.writestr(name, payload, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


# ---------------------------------------------------------------------- loading
class _Reader:
    """Decodes an object tree; every skae member must be used exactly once."""

    def __init__(self, zf: zipfile.ZipFile, allow_custom_objects: bool):
        self.zf = zf
        self.allow_custom_objects = allow_custom_objects
        self.unused = set(zf.namelist()) - {_TREE}
        self.classes = _sklearn_classes()

    def decode(self, obj, where: str):
        if isinstance(obj, list):
            return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if not isinstance(obj, dict) or len(obj) != 1:
            return _est_io._decode(obj, where)
        (tag, body), = obj.items()
        if tag == "__skae__":
            return self._skae(body, where)
        if tag == "__sklearn__" and isinstance(body, dict):
            return self._sklearn(body, where)
        if tag == "__tuple__" and isinstance(body, list):
            return tuple(self.decode(v, f"{where}[{i}]") for i, v in enumerate(body))
        if tag == "__dict__" and isinstance(body, dict):
            return {k: self.decode(v, f"{where}[{k!r}]") for k, v in body.items()}
        return _decode_leaf(tag, body, where)

    def _skae(self, member, where: str):
        if not isinstance(member, str) or member not in self.unused:
            raise _est_io._corrupt(where, f"no unused estimator member {member!r}")
        self.unused.discard(member)
        payload = _est_io._read_member(self.zf, member, None)
        return _est_io.load(io.BytesIO(payload), allow_custom_objects=self.allow_custom_objects)

    def _sklearn(self, body: dict, where: str):
        path, state = body.get("class"), body.get("state")
        if set(body) != {"class", "state"} or not isinstance(state, dict):
            raise _est_io._corrupt(where, "a scikit-learn step needs 'class' and 'state'")
        if path not in self.classes:
            raise ValueError(
                f"{where}: class {path!r} is not among the scikit-learn classes a skae file "
                f"may hold ({', '.join(SKLEARN_CLASSES)}); refused."
            )
        cls = self.classes[path]
        state = {k: self.decode(v, f"{where}.{k}") for k, v in state.items()}
        return _build_step(cls, state, where)


def _decode_leaf(tag: str, body, where: str):
    if tag == "__slice__" and isinstance(body, list) and len(body) == 3:
        parts = [_est_io._decode(v, where) for v in body]
        if not all(p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts):
            raise _est_io._corrupt(where, "a slice of non-integers")
        return slice(*parts)
    if tag in ("__dtype__", "__scalar_type__") and isinstance(body, str):
        try:
            dtype = np.dtype(body)
        except TypeError:
            raise _est_io._corrupt(where, f"unknown dtype {body!r}") from None
        if dtype.kind not in _SCALAR_DTYPE_KINDS:
            raise _est_io._corrupt(where, f"dtype {body!r} is not allowed")
        return dtype if tag == "__dtype__" else dtype.type
    if tag == "__object_array__" and isinstance(body, dict) and set(body) == {"shape", "data"}:
        data = [_est_io._decode(v, where) for v in body["data"]]
        if not all(v is None or isinstance(v, (str, int, float)) for v in data):
            raise _est_io._corrupt(where, "an object array of non-scalar values")
        array = np.empty(len(data), dtype=object)
        array[:] = data
        try:
            return array.reshape(body["shape"])
        except (TypeError, ValueError):
            raise _est_io._corrupt(where, "object array of the wrong shape") from None
    return _est_io._decode({tag: body}, where)


def _build_step(cls, state: dict, where: str):
    """A ``cls`` from its parameters, validated, with its fitted attributes set."""
    names = set(cls._get_param_names())
    params = {k: v for k, v in state.items() if k in names}
    attributes = {k: v for k, v in state.items() if k not in names}
    for name in attributes:
        on_class = inspect.getattr_static(cls, name, None)
        if (not name.isidentifier() or name.startswith("__") or callable(on_class)
                or isinstance(on_class, property)):
            raise _est_io._corrupt(where, f"attribute name {name!r} is not allowed")
    try:
        step = cls(**params)
        step._validate_params()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: invalid parameters for {cls.__name__}: {exc}") from None
    vars(step).update(attributes)
    return step


def load_composite(file, *, allow_custom_objects: bool = True):
    """Read a file written by :func:`save` for a Pipeline, ColumnTransformer or FeatureUnion.

    Called by :func:`skae.load`, which recognises the format and passes its
    ``allow_custom_objects`` on to every network; see there.
    """
    try:
        with zipfile.ZipFile(file) as zf:
            raw = _est_io._read_member(zf, _TREE, _est_io._MAX_META_BYTES)
            tree = json.loads(raw.decode("utf-8"), parse_constant=_est_io._refuse_constant)
            _check_tree(tree, zf)
            reader = _Reader(zf, allow_custom_objects)
            obj = reader.decode(tree["root"], "root")
            if reader.unused:
                raise _est_io._corrupt("archive", f"unused members {sorted(reader.unused)}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _est_io._corrupt(_TREE, f"not valid JSON ({type(exc).__name__})") from None
    except RecursionError:
        raise _est_io._corrupt(_TREE, "values nested too deeply") from None
    return obj


def _check_tree(tree, zf: zipfile.ZipFile) -> None:
    from . import __version__

    if not isinstance(tree, dict) or set(tree) != _TREE_KEYS or tree["format"] != FORMAT_NAME:
        raise _est_io._corrupt(_TREE, f"keys {sorted(tree) if isinstance(tree, dict) else []}")
    if tree["format_version"] != FORMAT_VERSION:
        raise ValueError(
            f"This file uses skae composite format version {tree['format_version']!r} "
            f"(written by skae {tree['skae_version']!s}); this skae ({__version__}) reads "
            f"version {FORMAT_VERSION} only. Load it with the skae version that wrote it."
        )
    names = zf.namelist()
    if len(names) != len(set(names)) or len(names) > _MAX_ESTIMATORS or not all(
        n == _TREE or (n.startswith("estimators/") and n.endswith(".skae")) for n in names
    ):
        raise _est_io._corrupt("archive", f"unexpected members {sorted(names)[:10]}")


# ---------------------------------------------------------------------- what a file is
_COMPRESSED = {
    b"\x1f\x8b": "gzip", b"\x78\x01": "zlib", b"\x78\x5e": "zlib", b"\x78\x9c": "zlib",
    b"\x78\xda": "zlib", b"ZF": "zlib", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz",
    b"\x5d\x00\x00": "lzma", b"\x04\x22\x4d\x18": "lz4",
}


def _head(file, n: int = 8) -> bytes:
    if hasattr(file, "read"):
        position = file.tell()
        head = file.read(n)
        file.seek(position)
        return head
    with open(os.fspath(file), "rb") as f:
        return f.read(n)


def is_composite(file) -> bool:
    """Whether ``file`` is a composite skae file (a zip holding ``composite.json``)."""
    if not _head(file, 4).startswith(b"PK"):
        return False
    position = file.tell() if hasattr(file, "read") else None
    try:
        with zipfile.ZipFile(file) as zf:
            return _TREE in zf.namelist()
    except zipfile.BadZipFile:
        return False
    finally:
        if position is not None:
            file.seek(position)


def refuse_foreign_file(file) -> None:
    """Raise a ValueError saying what ``file`` is when it is a pickle or joblib file."""
    head = _head(file)
    where = getattr(file, "name", file) if hasattr(file, "read") else os.fspath(file)
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        kind = "a pickle (as pickle.dump and joblib.dump write)"
    else:
        kind = next((f"a {name}-compressed file (as joblib.dump(..., compress=...) writes)"
                     for magic, name in _COMPRESSED.items() if head.startswith(magic)), None)
    if kind is not None:
        raise ValueError(
            f"{where!s} is {kind}, not a skae file. Load it with joblib.load or "
            "pickle.load - only if you trust its source, as loading a pickle runs code. "
            "skae.save(obj, path) writes files that skae.load reads without running code."
        )
