"""The container of every skae file: a zip archive whose manifest vouches for each byte.

A skae file is a zip archive whose first member, ``manifest.json``, records the format,
the kind of object the file holds (``"estimator"`` or ``"composite"``) and the size and
SHA-256 digest of every other member. Reading checks, before anything is parsed:

- the file is one whole archive: it starts with the first member's header and ends with
  the end-of-archive record, which points at the central directory just before it (so a
  truncated copy, bytes in front or bytes behind are refused - a truncated Pipeline file
  cannot pass for the estimator file nested in it);
- the members are exactly the manifest's, each of the recorded size and digest, within
  size limits, and no compressed member expands more than :data:`MAX_RATIO` times;
- a member that is itself an archive (the network's ``model.keras``) is held to the same
  size and ratio limits before anyone opens it.

Files are written atomically: to a temporary file beside the destination (through a
symbolic link, to the link's target), flushed to disk, given the permissions a new file
gets under the process's umask, and renamed into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import stat
import struct
import tempfile
import time
import zipfile

from ._codec import Refused
from ._version import __version__

__all__ = ["FORMAT_VERSION", "MAX_RATIO", "check_nested_archive", "read_archive", "read_manifest",
           "write_archive", "write_atomically"]

FORMAT_NAME = "skae"
#: Version of the container and of the formats inside it; 1 had no manifest.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
KINDS = ("estimator", "composite")
#: Largest archive, and largest expansion of a compressed member, that is read.
MAX_FILE_BYTES = 4 * 2**30
MAX_RATIO = 200
_MAX_MANIFEST_BYTES = 2**20
_MAX_MEMBERS = 1001
_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record, 22 bytes
_TEMP_PREFIX = ".skae-"
_TEMP_SUFFIX = ".tmp"
_STALE_SECONDS = 24 * 3600


# ---------------------------------------------------------------------- writing
def write_archive(kind: str, members: dict[str, bytes]) -> bytes:
    """A skae archive of ``kind`` holding ``members`` (name -> bytes) after its manifest.

    Parameters
    ----------
    kind : {"estimator", "composite"}
        What the file holds.
    members : dict of str to bytes
        The payload members, in order. Names ending in ``.json`` are compressed; the
        others (already compressed archives) are stored.

    Returns
    -------
    archive : bytes

    Examples
    --------
    >>> from skae._archive import read_archive, write_archive
    >>> data = write_archive("estimator", {"meta.json": b"{}"})
    >>> read_archive(data, "estimator")
    {'meta.json': b'{}'}
    """
    manifest = {
        "format": FORMAT_NAME, "format_version": FORMAT_VERSION, "kind": kind,
        "skae_version": __version__,
        "members": {name: {"size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
                    for name, payload in members.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, indent=1),
                    compress_type=zipfile.ZIP_DEFLATED)
        for name, payload in members.items():
            method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
            zf.writestr(name, payload, compress_type=method)
    return buffer.getvalue()


def write_atomically(payload: bytes, file) -> None:
    """Write ``payload`` to a writable binary file object, or atomically to a path.

    A path is written to a temporary file in the destination's folder (the target's,
    when the destination is a symbolic link), flushed and synced, given the mode a new
    file gets under the umask (or the mode of the file it replaces) and renamed into
    place; a failure leaves no temporary file and the destination as it was. Temporary
    files that crashed writers left in that folder are removed.

    Raises
    ------
    FileNotFoundError
        If the destination's folder does not exist (the message names the destination).
    """
    if hasattr(file, "write"):
        file.write(payload)
        return
    path = os.path.realpath(os.fspath(file))  # write through a symbolic link
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save to {os.fspath(file)!s}: the folder {folder} does not exist.")
    _remove_stale_temporaries(folder)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{_TEMP_PREFIX}{os.getpid()}-",
                               suffix=_TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fchmod(f.fileno(), _new_file_mode(path))
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(folder)


def _new_file_mode(path: str) -> int:
    """The mode of the file at ``path``, or what ``open`` would give a new file there."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(os.stat(path).st_mode)
    return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere: read it by setting it, and put it back at once
    os.umask(mask)
    return mask


def _sync_folder(folder: str) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_stale_temporaries(folder: str) -> None:
    """Remove ``.skae-<pid>-*.tmp`` files whose writer is gone or that are a day old."""
    with contextlib.suppress(OSError):
        names = [n for n in os.listdir(folder)
                 if n.startswith(_TEMP_PREFIX) and n.endswith(_TEMP_SUFFIX)]
        for name in names:
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                old = time.time() - os.stat(path).st_mtime > _STALE_SECONDS
                if old or not _alive(_writer_pid(name)):
                    os.unlink(path)


def _writer_pid(name: str) -> int | None:
    digits = name[len(_TEMP_PREFIX):].partition("-")[0]
    return int(digits) if digits.isdigit() else None


def _alive(pid: int | None) -> bool:
    if pid is None:
        return True  # not one of ours by name: leave it to the age rule
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


# ---------------------------------------------------------------------- reading
def read_archive(data: bytes, kind: str | None = None) -> dict[str, bytes]:
    """The payload members of a skae archive, after every integrity check.

    Parameters
    ----------
    data : bytes
        The whole file.
    kind : {"estimator", "composite"} or None
        The kind the file must hold; None accepts either (see :func:`read_manifest`).

    Returns
    -------
    members : dict of str to bytes
        Name -> content, in the manifest's order, manifest excluded.

    Raises
    ------
    Refused
        For anything but a whole, intact skae archive of that kind.
    """
    _check_whole(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            manifest = _read_manifest(zf)
            if kind is not None and manifest["kind"] != kind:
                raise Refused(f"it holds kind {manifest['kind']!r}, where {kind!r} was expected")
            return {name: _read_member(zf, name, entry["size"], entry["sha256"])
                    for name, entry in manifest["members"].items()}
    except zipfile.BadZipFile as exc:
        raise Refused(f"not a skae file (a damaged zip archive: {exc})") from None


def read_manifest(data: bytes) -> dict:
    """The checked manifest of a whole skae archive (``kind``, ``skae_version``, ...)."""
    _check_whole(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return _read_manifest(zf)
    except zipfile.BadZipFile as exc:
        raise Refused(f"not a skae file (a damaged zip archive: {exc})") from None


def _check_whole(data: bytes) -> None:
    """Refuse anything but one complete zip archive without bytes before or after it."""
    if len(data) > MAX_FILE_BYTES:
        raise Refused(f"{len(data)} bytes, more than the {MAX_FILE_BYTES} a skae file may hold")
    if not data.startswith(b"PK\x03\x04") or len(data) < _EOCD.size:
        raise Refused("not a skae file (it does not start as a zip archive does)")
    sig, disk, cd_disk, n_here, n_total, cd_size, cd_offset, comment = _EOCD.unpack(
        data[-_EOCD.size:])
    if sig != b"PK\x05\x06" or comment or disk or cd_disk or n_here != n_total:
        raise Refused("not a whole skae file: it does not end with the archive's end "
                      "record (truncated, or bytes appended)")
    if cd_offset + cd_size != len(data) - _EOCD.size:
        raise Refused("not a whole skae file: its directory is not where its end record "
                      "says (bytes added in front, or cut out)")


def _read_manifest(zf: zipfile.ZipFile) -> dict:
    infos = zf.infolist()
    if not infos or infos[0].filename != MANIFEST:
        version = "an earlier skae (file format 1)" if infos else "nothing"
        raise Refused(
            f"no {MANIFEST} first: written by {version} or not by skae. This skae reads file "
            f"format {FORMAT_VERSION}; load the file with the skae version that wrote it and "
            "save it again with this one.")
    manifest = _parse_json(_read_member(zf, MANIFEST, None, None, _MAX_MANIFEST_BYTES),
                           MANIFEST)
    _check_manifest(manifest)
    names = [info.filename for info in infos[1:]]
    if names != list(manifest["members"]):
        raise Refused(f"members {names[:10]} are not those the manifest lists")
    return manifest


def _check_manifest(manifest) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise Refused(f"not a skae file ({MANIFEST} lacks format={FORMAT_NAME!r})")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise Refused(
            f"file format version {version!r} (written by skae "
            f"{manifest.get('skae_version')!s}); this skae ({__version__}) reads version "
            f"{FORMAT_VERSION} only. Load it with the skae version that wrote it.")
    members = manifest.get("members")
    if (set(manifest) != {"format", "format_version", "kind", "skae_version", "members"}
            or manifest["kind"] not in KINDS or not isinstance(members, dict)
            or len(members) > _MAX_MEMBERS or MANIFEST in members):
        raise Refused(f"{MANIFEST} is malformed")
    for entry in members.values():
        if not (isinstance(entry, dict) and set(entry) == {"size", "sha256"}
                and type(entry["size"]) is int and 0 <= entry["size"] <= MAX_FILE_BYTES
                and isinstance(entry["sha256"], str) and len(entry["sha256"]) == 64):
            raise Refused(f"{MANIFEST} is malformed")


def _read_member(zf: zipfile.ZipFile, name: str, size: int | None, digest: str | None,
                 limit: int = MAX_FILE_BYTES) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > limit or (size is not None and info.file_size != size):
        raise Refused(f"member {name} has {info.file_size} bytes, not the {size or limit} "
                      "its manifest allows")
    if (info.compress_type != zipfile.ZIP_STORED and info.file_size > 2**20
            and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
        raise Refused(f"member {name} has the compression ratio of a decompression bomb")
    with zf.open(info) as f:
        payload = f.read(limit + 1)
    if len(payload) != info.file_size:
        raise Refused(f"member {name} is damaged")
    if digest is not None and hashlib.sha256(payload).hexdigest() != digest:
        raise Refused(f"member {name} does not match its SHA-256 digest in the manifest "
                      "(damaged or edited)")
    return payload


def _parse_json(raw: bytes, name: str):
    def refuse_constant(constant):
        raise json.JSONDecodeError(f"bare {constant}", constant, 0)

    try:
        return json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise Refused(f"{name} is not valid JSON ({type(exc).__name__})") from None


def parse_json(raw: bytes, name: str):
    """JSON from a member's bytes; :class:`Refused` for invalid JSON or bare NaN/Infinity."""
    return _parse_json(raw, name)


def check_nested_archive(data: bytes, name: str, limit: int = MAX_FILE_BYTES) -> None:
    """Refuse a zip member (Keras's ``.keras``) whose content would expand past the limits.

    Parameters
    ----------
    data : bytes
        The nested archive.
    name : str
        Its name in the skae file (for messages).
    limit : int
        Most bytes its members may expand to, together.

    Raises
    ------
    Refused
        If it is not a zip archive, or its members are too large or too compressed.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, struct.error) as exc:
        raise Refused(f"member {name} is not an archive ({exc})") from None
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if total > limit or len(infos) > _MAX_MEMBERS or total > MAX_RATIO * packed + 2**21:
        raise Refused(f"member {name} would expand to {total} bytes from {packed}")
    for info in infos:
        if (info.compress_type != zipfile.ZIP_STORED and info.file_size > 2**20
                and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            raise Refused(f"member {name} holds {info.filename}, with the compression ratio "
                          "of a decompression bomb")
