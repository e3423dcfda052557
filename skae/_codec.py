"""Values to and from JSON data: the one codec of skae files, estimators and composites alike.

JSON holds ``None``, booleans, strings, finite numbers, lists and string-keyed objects.
Every other value a skae file stores is a tagged one-key object:

``{"__tuple__": [...]}``, ``{"__dict__": {...}}``, ``{"__float__": "nan"}``,
``{"__numpy__": [dtype, value]}``, ``{"__ndarray__": {"dtype", "shape", "data"}}``
(numbers, booleans and strings), ``{"__object_array__": {"shape", "data"}}`` (scalars),
``{"__path__": "..."}``, ``{"__random_state__": {...}}``, ``{"__slice__": [...]}``,
``{"__dtype__": "<f8"}`` and ``{"__scalar_type__": "<f8"}``.

Anything else - a class, a function, an unknown object - is code, not data:
:func:`encode` raises :class:`NotData`. :func:`decode` accepts exactly what
:func:`encode` writes and raises :class:`Refused` for anything else. Both take an
``extension``: a function tried first on every value (encoding) or on every tagged object
(decoding), which the composite format uses for the estimators and scikit-learn steps
nested in a Pipeline.
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Callable

import numpy as np

__all__ = ["NotData", "Refused", "decode", "encode"]

_NUMERIC_KINDS = "biuf"
_SCALAR_DTYPE_KINDS = "biufcUO"
#: Returned by an extension for a value (or tag) it does not handle.
PASS = object()


class NotData(TypeError):
    """A value that cannot be written to a skae file as data."""


class Refused(ValueError):
    """A file's content that a reader refuses; ``skae.load`` names the file."""


def refused(where: str, problem: str) -> Refused:
    """A :class:`Refused` for the value at ``where``."""
    return Refused(f"corrupt or tampered content at {where}: {problem}")


# ---------------------------------------------------------------------- encoding
def encode(value, where: str, extension: Callable | None = None):
    """``value`` as JSON-ready data; raise :class:`NotData` for code or unknown objects.

    Parameters
    ----------
    value : object
        The value to encode.
    where : str
        Where the value sits (named in error messages).
    extension : callable or None
        ``extension(value, where)`` is tried first on every value, nested ones too; it
        returns :data:`PASS` for values it leaves to this codec.

    Returns
    -------
    data : JSON-ready object

    Examples
    --------
    >>> import numpy as np
    >>> from skae._codec import decode, encode
    >>> data = encode((1, np.float32(2.5), [None, "a"]), "x")
    >>> decode(data, "x")
    (1, np.float32(2.5), [None, 'a'])
    """
    if extension is not None:
        done = extension(value, where)
        if done is not PASS:
            return done
    if value is None or isinstance(value, (bool, str)) or type(value) is int:
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, list):
        return [encode(v, f"{where}[{i}]", extension) for i, v in enumerate(value)]
    if type(value) is tuple:
        return {"__tuple__": [encode(v, f"{where}[{i}]", extension)
                              for i, v in enumerate(value)]}
    if type(value) is dict and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: encode(v, f"{where}[{k!r}]", extension)
                             for k, v in value.items()}}
    return _encode_leaf(value, where)


def _encode_leaf(value, where: str):
    if isinstance(value, np.generic) and value.dtype.kind in _NUMERIC_KINDS:
        return {"__numpy__": [value.dtype.str, encode(value.item(), where)]}
    if type(value) is np.ndarray:
        return _encode_array(value, where)
    if isinstance(value, pathlib.PurePath):
        return {"__path__": str(value)}
    if type(value) is np.random.RandomState:
        _, keys, pos, has_gauss, cached = value.get_state(legacy=True)
        return {"__random_state__": {"keys": keys.tolist(), "pos": int(pos),
                                     "has_gauss": int(has_gauss), "cached": float(cached)}}
    if type(value) is slice:
        return {"__slice__": [encode(v, where) for v in (value.start, value.stop, value.step)]}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        dtype = np.dtype(value)
        if dtype.kind in _SCALAR_DTYPE_KINDS:
            tag = "__dtype__" if isinstance(value, np.dtype) else "__scalar_type__"
            return {tag: dtype.str}
    raise NotData(f"{where} is {_kind(value)}, which is code or an object, not data")


def _encode_array(value: np.ndarray, where: str):
    if value.dtype.kind in _NUMERIC_KINDS + "U":
        return {"__ndarray__": {"dtype": value.dtype.str, "shape": list(value.shape),
                                "data": [encode(v, where) for v in value.ravel().tolist()]}}
    if value.dtype == object and all(isinstance(v, str) for v in value.ravel()):
        return {"__ndarray__": {"dtype": "object", "shape": list(value.shape),
                                "data": value.ravel().tolist()}}
    if value.dtype == object:
        return {"__object_array__": {"shape": list(value.shape), "data": [
            encode(v, f"{where}[{i}]") for i, v in enumerate(value.ravel().tolist())]}}
    raise NotData(f"{where} is an array of dtype {value.dtype}, not data")


def _kind(value) -> str:
    if isinstance(value, type):
        return f"the class {value.__qualname__}"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"the function {value.__qualname__}"
    return f"an object of type {type(value).__qualname__}"


# ---------------------------------------------------------------------- decoding
def decode(obj, where: str, extension: Callable | None = None):
    """Inverse of :func:`encode`; anything unexpected raises :class:`Refused`.

    Parameters
    ----------
    obj : JSON data
        As parsed from a file.
    where : str
        Where the value sits (named in error messages).
    extension : callable or None
        ``extension(tag, body, where)`` is tried first on every tagged object; it returns
        :data:`PASS` for tags it leaves to this codec.

    Returns
    -------
    value : object
    """
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise refused(where, "non-finite number outside a __float__ tag")
        return obj
    if isinstance(obj, list):
        return [decode(v, f"{where}[{i}]", extension) for i, v in enumerate(obj)]
    if not isinstance(obj, dict) or len(obj) != 1:
        raise refused(where, "expected a value or a one-key tagged object")
    (tag, body), = obj.items()
    if extension is not None:
        done = extension(tag, body, where)
        if done is not PASS:
            return done
    if tag == "__tuple__" and isinstance(body, list):
        return tuple(decode(v, f"{where}[{i}]", extension) for i, v in enumerate(body))
    if tag == "__dict__" and isinstance(body, dict):
        return {k: decode(v, f"{where}[{k!r}]", extension) for k, v in body.items()}
    decoder = _LEAF_DECODERS.get(tag)
    if decoder is None:
        raise refused(where, f"unknown or malformed tag {tag!r}")
    return decoder(body, where)


def _decode_float(body, where: str) -> float:
    if body not in ("nan", "inf", "-inf"):
        raise refused(where, "malformed __float__")
    return float(body)


def _decode_numpy(body, where: str):
    if not (isinstance(body, list) and len(body) == 2):
        raise refused(where, "malformed __numpy__")
    dtype = _numeric_dtype(body[0], where)
    value = decode(body[1], where)
    if not isinstance(value, (bool, int, float)):
        raise refused(where, "numpy scalar without a number")
    try:
        return dtype.type(value)
    except (OverflowError, ValueError, TypeError):
        raise refused(where, f"{value!r} does not fit dtype {dtype}") from None


def _decode_path(body, where: str) -> pathlib.Path:
    if not isinstance(body, str):
        raise refused(where, "malformed __path__")
    return pathlib.Path(body)


def _decode_random_state(body, where: str) -> np.random.RandomState:
    try:
        keys = np.asarray(body["keys"], dtype=np.uint32)
        rs = np.random.RandomState()
        rs.set_state(("MT19937", keys, int(body["pos"]), int(body["has_gauss"]),
                      float(body["cached"])))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise refused(where, f"invalid random state ({exc})") from None
    return rs


def _decode_slice(body, where: str) -> slice:
    if not (isinstance(body, list) and len(body) == 3):
        raise refused(where, "malformed __slice__")
    parts = [decode(v, where) for v in body]
    if not all(p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts):
        raise refused(where, "a slice of non-integers")
    return slice(*parts)


def _decode_dtype(body, where: str, *, scalar_type: bool = False):
    dtype = _dtype_of_kinds(body, _SCALAR_DTYPE_KINDS, where, "is not allowed")
    return dtype.type if scalar_type else dtype


def _decode_object_array(body, where: str) -> np.ndarray:
    if not (isinstance(body, dict) and set(body) == {"shape", "data"}
            and isinstance(body["data"], list)):
        raise refused(where, "malformed __object_array__")
    data = [decode(v, where) for v in body["data"]]
    if not all(v is None or isinstance(v, (str, int, float)) for v in data):
        raise refused(where, "an object array of non-scalar values")
    array = np.empty(len(data), dtype=object)
    array[:] = data
    return _reshaped(array, body["shape"], where)


def _numeric_dtype(name, where: str) -> np.dtype:
    return _dtype_of_kinds(name, _NUMERIC_KINDS, where, "is not a numeric dtype")


def _dtype_of_kinds(name, kinds: str, where: str, problem: str) -> np.dtype:
    """The dtype a file names, if it is a string naming a dtype of one of ``kinds``."""
    try:
        dtype = np.dtype(name) if isinstance(name, str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in kinds:
        raise refused(where, f"dtype {name!r} {problem}")
    return dtype


def _reshaped(array: np.ndarray, shape, where: str) -> np.ndarray:
    if not (isinstance(shape, list) and all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
        raise refused(where, "malformed array shape")
    if math.prod(shape) != array.size:
        raise refused(where, f"{array.size} values do not fill shape {tuple(shape)}")
    return array.reshape(shape)


def _array_dtype(name, data: list, where: str) -> np.dtype:
    if name == "object":  # strings only, e.g. feature_names_in_
        if not all(isinstance(v, str) for v in data):
            raise refused(where, "object arrays may hold strings only")
        return np.dtype(object)
    if isinstance(name, str) and name.lstrip("<>|=").startswith("U"):
        if not all(isinstance(v, str) for v in data):
            raise refused(where, "string array holds non-strings")
        return np.dtype(name)
    if not all(isinstance(v, (bool, int, float)) for v in data):
        raise refused(where, "numeric array holds non-numbers")
    return _numeric_dtype(name, where)


def _decode_array(body, where: str) -> np.ndarray:
    if not (isinstance(body, dict) and set(body) == {"dtype", "shape", "data"}
            and isinstance(body["data"], list)):
        raise refused(where, "malformed array")
    data = [decode(v, where) for v in body["data"]]
    dtype = _array_dtype(body["dtype"], data, where)
    array = np.empty(len(data), dtype=dtype)
    try:
        array[:] = data
    except (OverflowError, ValueError, TypeError):
        raise refused(where, f"values do not fit dtype {dtype}") from None
    return _reshaped(array, body["shape"], where)


_LEAF_DECODERS = {
    "__float__": _decode_float,
    "__numpy__": _decode_numpy,
    "__ndarray__": _decode_array,
    "__object_array__": _decode_object_array,
    "__path__": _decode_path,
    "__random_state__": _decode_random_state,
    "__slice__": _decode_slice,
    "__dtype__": _decode_dtype,
    "__scalar_type__": lambda body, where: _decode_dtype(body, where, scalar_type=True),
}
