"""The one exception a refused skae file raises."""

from __future__ import annotations

__all__ = ["InvalidFileError"]


class InvalidFileError(ValueError):
    """A file that :func:`skae.load` refuses: not a skae file, damaged, tampered with, or
    written in another format version.

    A subclass of ``ValueError``, so ``except ValueError`` catches it too. The message
    names the file and the reason; both are also attributes.

    Parameters
    ----------
    file : str
        The file's path, or a description of the file object.
    reason : str
        Why the file is refused.

    Attributes
    ----------
    file : str
    reason : str

    Examples
    --------
    >>> import io
    >>> import skae
    >>> try:
    ...     skae.load(io.BytesIO(b"not a skae file"))
    ... except skae.InvalidFileError as exc:
    ...     print(exc.reason)
    not a skae file (it does not start as a zip archive does)
    """

    def __init__(self, file: str, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason

    def __reduce__(self):
        return type(self), (self.file, self.reason)
