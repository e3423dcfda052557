"""Save and load Pipelines and ColumnTransformers that hold skae estimators, as data.

:func:`save` writes a skae estimator in its own format (``estimator.save``) and a
:class:`~sklearn.pipeline.Pipeline`, :class:`~sklearn.compose.ColumnTransformer` or
:class:`~sklearn.pipeline.FeatureUnion` as one zip archive:

A skae archive (:mod:`skae._archive`) of kind ``"composite"``, whose manifest vouches for
every member's size and SHA-256 digest:

``composite.json``
    The object as a tree. A scikit-learn step is ``{"__sklearn__": {"class", "state"}}``:
    its class, named by its public import path and taken on load from a fixed list of
    scikit-learn classes (:data:`SKLEARN_CLASSES`), and its state - parameters and fitted
    attributes - as JSON data (arrays, numbers, strings, slices, dtypes). A skae estimator is
    ``{"__skae__": "estimators/<n>.skae"}``.
``estimators/<n>.skae``
    Each skae estimator, in the file format of ``estimator.save``.

:func:`skae.load` reads both kinds. Nothing is unpickled and no class is imported by a
name read from the file: an unknown class, parameter or value is refused, so loading a
file cannot run code. Steps that are code (a ``FunctionTransformer``'s function, a custom
transformer) cannot be stored as data and are refused on saving, with the reason.
"""

from __future__ import annotations

import importlib
import inspect
import json

from ._archive import parse_json, read_archive, write_archive
from ._codec import PASS, NotData, Refused, decode, encode, refused
from ._persistence import PICKLE_HINT, estimator_classes, estimator_file, load_estimator

__all__ = ["COMPOSITES", "SKLEARN_CLASSES", "composite_file", "load_composite"]

_TREE = "composite.json"
_MAX_ESTIMATORS = 1000
#: The kinds of object a composite file holds at its root.
COMPOSITES = ("Pipeline", "ColumnTransformer", "FeatureUnion")

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


def _sklearn_classes() -> dict:
    classes = {}
    for path in SKLEARN_CLASSES:
        module, name = path.rsplit(".", 1)
        classes[path] = getattr(importlib.import_module(module), name)
    return classes


def is_skae_estimator(obj) -> bool:
    """Whether ``obj`` is one of skae's registered estimators (not a subclass)."""
    return type(obj) in set(estimator_classes().values())


# ---------------------------------------------------------------------- saving
class _Writer:
    """Encodes an object tree, collecting the skae estimators' files on the way."""

    def __init__(self):
        self.members: dict[str, bytes] = {}
        self.paths = {cls: path for path, cls in _sklearn_classes().items()}

    def __call__(self, value, where: str):
        if is_skae_estimator(value):
            member = f"estimators/{len(self.members)}.skae"
            self.members[member] = estimator_file(value)
            return {"__skae__": member}
        if type(value) in self.paths:
            state = {k: encode(v, f"{where}.{k}", self) for k, v in vars(value).items()}
            return {"__sklearn__": {"class": self.paths[type(value)], "state": state}}
        if _is_code_step(value):
            raise NotData(f"{where} is a {type(value).__name__}, which wraps a Python "
                          "function: code, not data")
        if hasattr(value, "get_params") and hasattr(value, "fit"):
            raise NotData(
                f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which is "
                f"not among the scikit-learn classes a skae file holds as data "
                f"({', '.join(p.rsplit('.', 1)[1] for p in SKLEARN_CLASSES)})")
        return PASS


def _is_code_step(value) -> bool:
    from sklearn.preprocessing import FunctionTransformer

    return isinstance(value, FunctionTransformer)


def composite_file(obj) -> bytes:
    """The bytes of the composite skae file of a Pipeline, ColumnTransformer or FeatureUnion.

    Raises
    ------
    TypeError
        If ``obj`` holds a step that is code rather than data.
    """
    writer = _Writer()
    try:
        root = encode(obj, type(obj).__name__, writer)
    except NotData as exc:
        raise TypeError(
            f"Cannot save this {type(obj).__name__} to a skae file: {exc}. {PICKLE_HINT}"
        ) from None
    tree = json.dumps({"root": root}, allow_nan=False, indent=1, sort_keys=True)
    return write_archive("composite", {_TREE: tree.encode("utf-8"), **writer.members})


# ---------------------------------------------------------------------- loading
class _Reader:
    """Decodes an object tree; every estimator member must be used exactly once."""

    def __init__(self, members: dict[str, bytes], allow_custom_objects: bool):
        self.members = members
        self.allow_custom_objects = allow_custom_objects
        self.unused = set(members) - {_TREE}
        self.classes = _sklearn_classes()

    def __call__(self, tag: str, body, where: str):
        if tag == "__skae__":
            return self._skae(body, where)
        if tag == "__sklearn__" and isinstance(body, dict):
            return self._sklearn(body, where)
        return PASS

    def _skae(self, member, where: str):
        if not isinstance(member, str) or member not in self.unused:
            raise refused(where, f"no unused estimator member {member!r}")
        self.unused.discard(member)
        return load_estimator(self.members[member],
                              allow_custom_objects=self.allow_custom_objects)

    def _sklearn(self, body: dict, where: str):
        path, state = body.get("class"), body.get("state")
        if set(body) != {"class", "state"} or not isinstance(state, dict):
            raise refused(where, "a scikit-learn step needs 'class' and 'state'")
        if path not in self.classes:
            raise Refused(
                f"{where}: class {path!r} is not among the scikit-learn classes a skae file "
                f"may hold ({', '.join(SKLEARN_CLASSES)}); refused."
            )
        cls = self.classes[path]
        state = {k: decode(v, f"{where}.{k}", self) for k, v in state.items()}
        return _build_step(cls, state, where)


def _build_step(cls, state: dict, where: str):
    """A ``cls`` from its parameters, validated, with its fitted attributes set."""
    names = set(cls._get_param_names())
    params = {k: v for k, v in state.items() if k in names}
    attributes = {k: v for k, v in state.items() if k not in names}
    for name in attributes:
        on_class = inspect.getattr_static(cls, name, None)
        if (not name.isidentifier() or name.startswith("__") or callable(on_class)
                or isinstance(on_class, property)):
            raise refused(where, f"attribute name {name!r} is not allowed")
    try:
        step = cls(**params)
        step._validate_params()
    except (TypeError, ValueError) as exc:
        raise Refused(f"{where}: invalid parameters for {cls.__name__}: {exc}") from None
    vars(step).update(attributes)
    return step


def load_composite(data: bytes, *, allow_custom_objects: bool = True):
    """The Pipeline, ColumnTransformer or FeatureUnion in the composite skae file ``data``.

    Called by :func:`skae.load`, which passes its ``allow_custom_objects`` on to every
    network; see there.
    """
    members = read_archive(data, "composite")
    names = list(members)
    if (not names or names[0] != _TREE or len(names) > _MAX_ESTIMATORS + 1 or not all(
            n.startswith("estimators/") and n.endswith(".skae") for n in names[1:])):
        raise Refused(f"unexpected members {names[:10]}")
    tree = parse_json(members[_TREE], _TREE)
    if not isinstance(tree, dict) or set(tree) != {"root"}:
        raise refused(_TREE, "expected one object with a 'root'")
    reader = _Reader(members, allow_custom_objects)
    try:
        obj = decode(tree["root"], "root", reader)
    except RecursionError:
        raise refused(_TREE, "values nested too deeply") from None
    if reader.unused:
        raise refused("archive", f"unused members {sorted(reader.unused)}")
    if type(obj).__name__ not in COMPOSITES or not type(obj).__module__.startswith("sklearn."):
        raise Refused(f"a composite file holds a {' or '.join(COMPOSITES)}, not "
                      f"{type(obj).__name__}")
    return obj
