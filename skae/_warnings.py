"""Warnings that point to the user's line, however deep in skae (or scikit-learn) they start.

A fixed ``stacklevel`` breaks whenever a call path gains a frame (a subclass's ``fit``
calling ``super().fit``, a ``Pipeline`` calling ``fit``): the warning then points into
skae's source. :func:`warn` counts the frames instead, as pandas does.
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["user_stacklevel", "warn"]

_SKAE_DIR = os.path.dirname(os.path.abspath(__file__))


def _library_dirs() -> tuple[str, ...]:
    """skae's folder and those of the libraries that call skae's methods for the user."""
    dirs = [_SKAE_DIR]
    for name in ("sklearn", "scikeras", "joblib"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            dirs.append(os.path.dirname(os.path.abspath(module.__file__)))
    return tuple(d + os.sep for d in dirs)


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning raised by the caller name the user's line.

    Counts the frames, from the caller of this function outwards, that belong to skae or to
    a library calling it on the user's behalf (scikit-learn, scikeras, joblib); the first
    frame past them is the user's.

    Returns
    -------
    int
        ``warnings.warn``'s ``stacklevel`` for a call made by this function's caller: 1
        when the caller is the user's own code.

    Examples
    --------
    >>> user_stacklevel() >= 1
    True
    """
    dirs = _library_dirs()
    frame = sys._getframe(1)
    level = 0
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(dirs):
            break
        level += 1
        frame = frame.f_back
    return level + 1


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Issue ``message`` as a ``category`` warning attributed to the user's line.

    Parameters
    ----------
    message : str
        The warning's text.
    category : Warning subclass, default=UserWarning
        The warning's class.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("careful")
    >>> str(caught[0].message)
    'careful'
    """
    warnings.warn(message, category, stacklevel=user_stacklevel())
