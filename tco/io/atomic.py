"""Atomic file replacement: a reader never sees a half-written workbook.

The new file is written to a temporary file in the destination folder (same
file system, so `os.replace` is atomic) and renamed over the target only
after it is complete; on any failure the temporary file is removed and the
previous file is left untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write(tmp_path)` then move the result onto `path`."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=folder)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
