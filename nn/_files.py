"""Files: written so that a crash never leaves a half-written one, read without trusting them.

``atomic_write`` puts the bytes in a temporary file beside the target, fsyncs it and renames
it over the target; the temporary file's name carries the writer's process id, so the next
write of the same target removes those a killed writer left behind. ``read_npz`` reads a
``.npz`` archive with ``allow_pickle=False`` and checks each member's header against the
bytes the archive really holds before NumPy allocates anything, so a corrupt or hostile
header claiming a huge array is a ``ValueError`` naming the file, never a ``MemoryError``.
"""
import errno
import math
import os
import re
import tempfile
import zipfile
import zlib
from collections import OrderedDict

import numpy as np
from numpy.lib import format as npy_format

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or an empty zip
_NPY_MAGIC = b"\x93NUMPY"
_MAX_DEFLATE_RATIO = 1100  # deflate never expands data more than ~1032 times
# what a damaged file raises somewhere inside zipfile, zlib, json or NumPy's header parser
_CORRUPT = (ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, UnicodeDecodeError,
            RecursionError, SyntaxError)


def _default_mode():
    """The permissions a plain ``open(path, "w")`` would give (0o666 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_folder(folder):
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _process_alive(pid):
    """False only when no process ``pid`` exists (POSIX); elsewhere assume it might."""
    if os.name != "posix":
        return True  # Windows' os.kill(pid, 0) would terminate the process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is only someone else's
    except (OverflowError, ValueError):
        return False  # not a process id at all
    return True


def _remove_stale_temporaries(folder, name):
    """Remove the temporary files of target ``name`` whose writer has died (a killed save)."""
    # exactly mkstemp's pattern below, so another target's temporaries (``name.1``) never match
    pattern = re.compile(re.escape(f".{name}.") + r"(\d+)\.[a-z0-9_]+\.part")
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match and not _process_alive(int(match.group(1))):
            try:
                os.remove(os.path.join(folder, entry))
            except OSError:
                pass  # another writer cleaned it first, or it is not ours to remove


def atomic_write(path, write):
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it onto ``path``.

    Readers see either the old file or the whole new one; on any error the temporary
    file is removed and ``path`` is untouched. The temporary file is named
    ``.<name>.<pid>.<random>.part``: the next write of ``path`` removes the ones whose
    process is gone (killed mid-write), so they never pile up, while concurrent writers
    keep their own. The file gets the usual permissions (``mkstemp`` alone would make it
    readable by its owner only). Returns ``path``.
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(errno.ENOENT, f"cannot write {path!r}: the folder {folder!r} does "
                                f"not exist (create it first)", path)
    _remove_stale_temporaries(folder, name)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.{os.getpid()}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, _default_mode())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise
    _fsync_folder(folder)
    return path


def describe(file):
    """How an error message names ``file``: its path, or the file object's repr."""
    try:
        return repr(os.fspath(file))
    except TypeError:
        return repr(file)


def _check_magic(file, where):
    """Refuse anything but a zip archive before NumPy parses it (a bare .npy, a pickle)."""
    if hasattr(file, "read"):
        start = file.tell()
        magic = file.read(6)
        file.seek(start)
    else:
        with open(file, "rb") as handle:
            magic = handle.read(6)
    if magic.startswith(_NPY_MAGIC):
        raise ValueError(f"{where} holds a single array, not a .npz archive of named arrays")
    if not magic.startswith(_ZIP_MAGIC):
        raise ValueError(f"{where} is not a .npz file (it does not start like a zip archive)")


def _read_header(member):
    """(shape, dtype) from an open ``.npy`` member, leaving it at the first data byte."""
    version = npy_format.read_magic(member)
    if version == (1, 0):
        shape, _, dtype = npy_format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, _, dtype = npy_format.read_array_header_2_0(member)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    return shape, dtype


def _check_member(archive, key, file_size):
    """Raise ValueError unless member ``key`` is a plain array whose header fits its bytes."""
    info = archive.zip.getinfo(key + ".npy")
    stored = info.compress_type == zipfile.ZIP_STORED
    if (info.compress_size > file_size or (stored and info.compress_size != info.file_size)
            or info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + 1024):
        raise ValueError(f"member {key!r} claims {info.file_size} bytes, more than the archive "
                         f"can hold")
    with archive.zip.open(info) as member:
        shape, dtype = _read_header(member)
        if dtype.hasobject:
            raise ValueError(f"member {key!r} holds Python objects (pickled data), which are "
                             f"never loaded")
        needed = member.tell() + math.prod(shape) * dtype.itemsize
    if needed != info.file_size:
        raise ValueError(f"member {key!r}: its header claims an array of shape {shape} and dtype "
                         f"{dtype} ({needed} bytes with the header), but it holds "
                         f"{info.file_size} bytes")


def _size_of(file):
    if hasattr(file, "seek"):
        start = file.tell()
        size = file.seek(0, os.SEEK_END) - start
        file.seek(start)
        return size
    return os.path.getsize(file)


def read_npz(file):
    """Return the arrays of a ``.npz`` file (a path or a binary file object) as an OrderedDict.

    Loaded with ``allow_pickle=False``; each member's header is checked against its size
    first. Raises ``FileNotFoundError``/``PermissionError`` as ``open`` does, and
    ``ValueError`` naming the file when it is not a readable ``.npz`` of plain arrays.
    """
    where = describe(file)
    if not hasattr(file, "read"):
        file = os.fspath(file)
    try:
        _check_magic(file, where)
        size = _size_of(file)
        with np.load(file, allow_pickle=False) as archive:
            for key in archive.files:
                _check_member(archive, key, size)
            return OrderedDict((key, archive[key]) for key in archive.files)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except _CORRUPT + (OSError,) as error:
        if str(error).startswith(where):
            raise ValueError(str(error)) from None
        raise ValueError(f"{where} is not a valid .npz file: {error}") from None
