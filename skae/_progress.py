"""How much Keras prints while training: a progress bar only where one can be drawn.

Keras's ``verbose=1`` progress bar redraws itself with carriage returns, backspaces and ANSI
colour codes, and Keras draws it whenever it runs on a POSIX system, also into a pipe or a
log file, which then fills with escape codes. skae asks Keras for its bar only when standard
output is a terminal or a notebook, and otherwise for ``verbose=2``: one plain line per
epoch, with the loss figures.
"""

from __future__ import annotations

import sys

__all__ = ["keras_verbose"]


def _interactive(stream) -> bool:
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        pass
    return "ipykernel" in sys.modules  # notebooks render the bar's redraws


def keras_verbose(verbose, stream=None) -> int:
    """Keras's ``verbose`` for an estimator's ``verbose``.

    Parameters
    ----------
    verbose : int or bool
        The estimator's ``verbose``: 0 is silent, 1 a progress bar, 2 one line per epoch.
    stream : file object, default=None
        Where Keras writes; ``sys.stdout`` if None.

    Returns
    -------
    int
        ``verbose``, except that 1 becomes 2 (plain lines) when ``stream`` is neither a
        terminal nor a notebook's output.

    Examples
    --------
    >>> import io
    >>> keras_verbose(1, io.StringIO())
    2
    >>> keras_verbose(0, io.StringIO())
    0
    """
    verbose = int(verbose)
    if verbose != 1:
        return verbose
    return 1 if _interactive(sys.stdout if stream is None else stream) else 2
