"""A quiet first import of TensorFlow: no C++ or absl log lines unless the user asks for them.

TensorFlow's C++ runtime writes INFO lines to the process's standard error when it is
imported (oneDNN, CUDA drivers, CPU instructions; twice, once per shared library) and an
``E0000 ... failed call to cuInit`` line on the first fit of a machine without a GPU. They
say nothing a skae user can act on, so before TensorFlow's first import skae

- sets the environment variable ``TF_CPP_MIN_LOG_LEVEL`` to ``"3"`` **only when it is
  unset** (a value the user set, e.g. ``TF_CPP_MIN_LOG_LEVEL=0`` to see everything, wins);
- holds back the log lines TensorFlow writes to file descriptor 2 while it is being
  imported, below the level in force (1: INFO; 2: also WARNING; 3: also ERROR): TensorFlow
  writes them before its log level takes effect, so without this a level the user set
  themselves, or the ``"3"`` a worker process (joblib, Dask, ``subprocess``) inherits from
  its parent, did not hide them. Anything else written there meanwhile (a Python warning,
  for instance) is written out afterwards.

Nothing is done when TensorFlow was imported before skae needed it: the user's session
already has its logging set up.
"""

from __future__ import annotations

import os
import random
import re
import sys
import tempfile

__all__ = ["import_tensorflow_quietly", "is_tensorflow_log_line"]

#: The environment variable through which users choose TensorFlow's C++ log level.
LOG_LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"

# absl / TensorFlow C++ log lines: "I0000 00:00:1796177321.425128    6112 port.cc:153] ..."
_LOG_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [^\s:]+:\d+\] ")
_ABSL_BANNER = "WARNING: All log messages before absl::InitializeLog() is called"


def is_tensorflow_log_line(line: str) -> bool:
    """Whether ``line`` is a line of TensorFlow's C++ (absl) logging.

    Parameters
    ----------
    line : str
        One line of standard error.

    Returns
    -------
    bool
        True for absl-formatted log lines and absl's "before InitializeLog" banner.

    Examples
    --------
    >>> is_tensorflow_log_line("I0000 00:00:17.42    61 port.cc:153] oneDNN custom operations")
    True
    >>> is_tensorflow_log_line("<stdin>:1: UserWarning: a warning")
    False
    """
    return bool(_LOG_LINE.match(line)) or line.startswith(_ABSL_BANNER)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras without their C++ log lines, unless the user chose a level.

    Idempotent and cheap after the first call. See the module docstring for what it does.

    Examples
    --------
    >>> import_tensorflow_quietly()
    >>> import sys
    >>> "keras" in sys.modules
    True
    """
    if "tensorflow" in sys.modules:
        return
    state = random.getstate()  # importing TensorFlow draws from Python's global `random`
    try:
        os.environ.setdefault(LOG_LEVEL_VARIABLE, "3")
        severities = _hidden_severities(os.environ[LOG_LEVEL_VARIABLE])
        if not severities:  # level 0 (or not a level): the user asked for every line
            import keras  # noqa: F401
            return
        with _held_back_log_lines(severities):
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
    finally:
        random.setstate(state)


def _hidden_severities(level: str) -> str:
    """The absl severity letters that ``TF_CPP_MIN_LOG_LEVEL=level`` hides."""
    try:
        n = int(level)
    except ValueError:
        return ""
    return "IWE"[: max(0, min(n, 3))]


class _held_back_log_lines:  # noqa: N801 - used as a context manager
    """Send file descriptor 2 to a temporary file; on exit, write back all but the log
    lines of the held ``severities`` (absl's letters: I, W, E; default all three)."""

    def __init__(self, severities: str = "IWE"):
        self._severities = severities

    def _held(self, line: str) -> bool:
        return is_tensorflow_log_line(line) and (
            line.startswith(_ABSL_BANNER) or line[0] in self._severities)

    def __enter__(self):
        self._saved = None
        try:
            sys.stderr.flush()
            self._file = tempfile.TemporaryFile()
            self._saved = os.dup(2)
            os.dup2(self._file.fileno(), 2)
        except (OSError, ValueError, AttributeError):  # no usable descriptor 2: hold nothing
            self._restore()
        return self

    def __exit__(self, *exc_info):
        if self._saved is None:
            return False
        try:
            sys.stderr.flush()
        except (OSError, ValueError, AttributeError):
            pass
        self._file.seek(0)
        text = self._file.read().decode("utf-8", errors="replace")
        self._restore()
        kept = [ln for ln in text.splitlines(keepends=True) if not self._held(ln)]
        if kept:
            os.write(2, "".join(kept).encode("utf-8", errors="replace"))
        return False

    def _restore(self) -> None:
        if self._saved is not None:
            os.dup2(self._saved, 2)
            os.close(self._saved)
            self._saved = None
        if getattr(self, "_file", None) is not None:
            self._file.close()
            self._file = None
