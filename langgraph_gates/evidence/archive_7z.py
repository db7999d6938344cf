"""7z archives: list and decompress the members with ``py7zr`` so that each can be scanned.

``py7zr`` is an optional dependency (``pip install 'langgraph-gates[artifacts]'``). Without
it, or for an encrypted, corrupt or oversized archive, :class:`SevenZipError` says why and the
caller fails the artifact as unverifiable: a 7z archive is never passed unread.
"""

from __future__ import annotations

from typing import IO

__all__ = ["SevenZipError", "sevenzip_members"]


class SevenZipError(Exception):
    """The 7z archive cannot be read (missing py7zr, encrypted, corrupt or too large)."""


def sevenzip_members(fh: IO[bytes], *, max_bytes: int) -> list[tuple[str, bytes]]:
    """Every file member of a 7z archive, decompressed in memory.

    Args:
        fh: the archive (seekable).
        max_bytes: the most bytes all members may decompress to (bomb guard).

    Raises:
        SevenZipError: py7zr is missing, or the archive cannot be read within the bounds.
    """
    try:
        import py7zr
        from py7zr.io import BytesIOFactory
    except ImportError:
        msg = (
            "7z archives need the py7zr package to be verified "
            "(pip install 'langgraph-gates[artifacts]')"
        )
        raise SevenZipError(msg) from None
    try:
        with py7zr.SevenZipFile(fh, mode="r") as archive:
            if archive.needs_password():
                msg = "the 7z archive is encrypted (password protected): it cannot be inspected"
                raise SevenZipError(msg)
            infos = [i for i in archive.list() if not i.is_directory]
            total = sum(int(i.uncompressed or 0) for i in infos)
            if total > max_bytes:
                msg = f"the 7z archive decompresses to {total:,} bytes, above the cap"
                raise SevenZipError(msg)
            factory = BytesIOFactory(max_bytes + 1)
            archive.extract(factory=factory)
    except SevenZipError:
        raise
    except Exception as exc:  # py7zr raises many types (Bad7zFile, CrcError, LZMAError ...)
        msg = f"the 7z archive cannot be read ({type(exc).__name__}: {exc})"
        raise SevenZipError(msg) from None
    members = []
    for info in infos:
        try:
            product = factory.get(info.filename)
        except KeyError:
            msg = f"the 7z member {info.filename!r} was not extracted"
            raise SevenZipError(msg) from None
        product.seek(0)
        members.append((info.filename, product.read()))
    return members
