"""``skae.save`` and ``skae.load``: estimators and composites to and from skae files.

This is the one entry to the file formats: it recognises what a file is (a skae archive
of an estimator or of a composite, or a pickle or joblib file, which it refuses with a
hint), dispatches to :mod:`skae._persistence` or :mod:`skae._pipeline_io`, and turns every
refusal into one :class:`~skae.InvalidFileError` that names the file and the reason.
"""

from __future__ import annotations

import os
import struct
import warnings
import zipfile
import zlib

from ._archive import read_manifest, write_atomically
from ._codec import Refused
from ._denoising import DenoisingAutoencoder
from ._errors import InvalidFileError
from ._outlier import ReconstructionOutlierDetector
from ._persistence import load_estimator, save_estimator
from ._pipeline_io import COMPOSITES, composite_file, is_skae_estimator, load_composite
from ._transformer import AutoencoderTransformer
from ._version import __version__

__all__ = ["load", "save"]

#: The estimators a file can hold (importing them registers them with _persistence).
ESTIMATORS = (AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector)
#: What a damaged file can make the readers below raise; all become InvalidFileError.
_DAMAGE = (ValueError, KeyError, IndexError, TypeError, AttributeError, EOFError,
           NotImplementedError, OverflowError, RecursionError, UnicodeDecodeError,
           zipfile.BadZipFile, zlib.error, struct.error)
_COMPRESSED = {
    b"\x1f\x8b": "gzip", b"\x78\x01": "zlib", b"\x78\x5e": "zlib", b"\x78\x9c": "zlib",
    b"\x78\xda": "zlib", b"ZF": "zlib", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz",
    b"\x5d\x00\x00": "lzma", b"\x04\x22\x4d\x18": "lz4",
}


def save(obj, file) -> None:
    """Save a skae estimator, or a Pipeline or ColumnTransformer holding some, as data.

    A skae estimator is written as by its ``save`` method. A
    :class:`~sklearn.pipeline.Pipeline`, :class:`~sklearn.compose.ColumnTransformer` or
    :class:`~sklearn.pipeline.FeatureUnion` of skae estimators and scikit-learn steps
    (scalers, encoders, imputers, PCA, ... listed in
    ``skae._pipeline_io.SKLEARN_CLASSES``), fitted or not, is written as one file: the
    scikit-learn steps' classes, parameters and fitted attributes as JSON data, each skae
    estimator in its own format. Read either with :func:`skae.load`, which runs no code
    from the file (unlike pickle).

    Parameters
    ----------
    obj : skae estimator, Pipeline, ColumnTransformer or FeatureUnion
        The object to save.
    file : str, path-like or binary file object
        Where to write. A path is written atomically (no truncated file on failure),
        through a symbolic link to its target, with the permissions of a new file.

    Raises
    ------
    TypeError
        If ``obj`` holds a step that is code rather than data - a
        ``FunctionTransformer``, a custom transformer, a skae estimator with a ``model``
        builder or callbacks - or a scikit-learn class outside the list. Use pickle or
        joblib for such objects, and load those files only from trusted sources.
    FileNotFoundError
        If the folder of ``file`` does not exist.

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
    if is_skae_estimator(obj):
        save_estimator(obj, file)
        return
    if type(obj).__name__ not in COMPOSITES:
        raise TypeError(
            "skae.save writes a skae estimator, or a scikit-learn Pipeline, "
            f"ColumnTransformer or FeatureUnion holding some; got {type(obj).__name__}."
        )
    write_atomically(composite_file(obj), file)


def load(file, *, allow_custom_objects: bool = True):
    """Load an estimator or composite saved by skae - without running any code from the file.

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
        own classes (and skae's) in the network and refuses any other: use it for files
        from others.

    Returns
    -------
    estimator : AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector \
or Pipeline, ColumnTransformer, FeatureUnion
        The object, with the parameters and (if it was fitted) the fitted attributes and
        networks it was saved with; its outputs are identical to the saved object's.

    Raises
    ------
    InvalidFileError
        A ``ValueError`` subclass naming the file and the reason, for every file that is
        refused: a pickle or joblib file (the message says how to load it), a file that
        is not a skae file, is incomplete or has bytes before or after it, whose members
        do not match their SHA-256 digests, that was written in another file format
        version, names an unknown class or parameter, holds fitted attributes of the
        wrong shape, dtype or range, or a network with code in it (such as a ``Lambda``
        layer, refused by Keras's safe mode; with ``allow_custom_objects=False``, any
        class that is not Keras's own).
    FileNotFoundError, PermissionError
        If the file cannot be read at all.

    See Also
    --------
    pickle, joblib : Also store estimators with user code (a ``model`` builder,
        callbacks), but run code when loaded: use them for trusted files only.

    Notes
    -----
    The file is a zip archive whose manifest records the size and SHA-256 digest of
    every member: ``meta.json`` (class, parameters and fitted attributes as JSON) and,
    for a fitted estimator, ``model.keras`` (the network in Keras's format); a composite
    holds a tree of its steps and one such estimator file per skae estimator. Nothing is
    unpickled, and the network is loaded in Keras's safe mode, so a tampered file is
    refused rather than run.

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
    where = _name(file)
    data = _read(file)
    try:
        _refuse_foreign(data)
        manifest = read_manifest(data)
        _warn_if_other_version(manifest["skae_version"])
        if manifest["kind"] == "composite":
            return load_composite(data, allow_custom_objects=allow_custom_objects)
        return load_estimator(data, allow_custom_objects=allow_custom_objects)
    except InvalidFileError:
        raise
    except Refused as exc:
        raise InvalidFileError(where, str(exc)) from None
    except _DAMAGE as exc:
        raise InvalidFileError(where, f"refused ({type(exc).__name__}: {exc})") from exc


def _warn_if_other_version(saved_by) -> None:
    if saved_by != __version__:
        warnings.warn(
            f"This skae file was written by skae {saved_by!s} and is loaded by skae "
            f"{__version__}. The file format is the same; check that the estimator behaves "
            "as expected.", UserWarning, stacklevel=4)


def _name(file) -> str:
    if isinstance(file, (str, os.PathLike)):
        return os.fspath(file)
    return str(getattr(file, "name", None) or f"<{type(file).__name__}>")


def _read(file) -> bytes:
    if hasattr(file, "read"):
        data = file.read()
        if not isinstance(data, bytes):
            raise InvalidFileError(_name(file), "open the file in binary mode ('rb')")
        return data
    with open(os.fspath(file), "rb") as f:
        return f.read()


def _refuse_foreign(data: bytes) -> None:
    """Refuse a pickle or joblib file, saying what it is and how to load it."""
    head = data[:8]
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        kind = "a pickle (as pickle.dump and joblib.dump write)"
    else:
        kind = next((f"a {name}-compressed file (as joblib.dump(..., compress=...) writes)"
                     for magic, name in _COMPRESSED.items() if head.startswith(magic)), None)
    if kind is not None:
        raise Refused(
            f"this is {kind}, not a skae file. Load it with joblib.load or pickle.load - "
            "only if you trust its source, as loading a pickle runs code. "
            "skae.save(obj, path) writes files that skae.load reads without running code."
        )
