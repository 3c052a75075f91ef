"""Reading the text files users hand us (configs, workflows, object_info).

Windows editors and shells save text in ways a plain ``read_text("utf-8")``
refuses: Notepad may add a UTF-8 byte-order mark, PowerShell's ``>`` writes
UTF-16, and an older editor may save a comment in a legacy code page. BOMs are
honoured; anything else that is not UTF-8 becomes one message naming the file
and the offending byte instead of a traceback."""

from __future__ import annotations

import codecs
from pathlib import Path

from .errors import SweepError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class NotText(ValueError):
    """The file is not UTF-8 (nor UTF-16/32 with a byte-order mark); ``str()`` says where."""


def decode_text(raw: bytes) -> str:
    encoding = next((enc for bom, enc in _BOMS if raw.startswith(bom)), "utf-8")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        bad = raw[err.start : err.start + 1].hex()
        line = raw[: err.start].count(b"\n") + 1
        raise NotText(
            f"not {encoding.upper().replace('-SIG', '')} text (byte 0x{bad} on line {line}); "
            "save it as UTF-8"
        ) from None


def read_text(path: Path) -> str:
    """The file's text; OSError as from open(), NotText for an undecodable file."""
    return decode_text(path.read_bytes())


def read_user_file(path: Path, what: str, error: type[SweepError]) -> str:
    """A file the user named: its text, or ``error`` with one line naming the file
    ("<file>: cannot read <what>: …" or where the undecodable byte is)."""
    try:
        return read_text(path)
    except OSError as err:
        raise error(f"{path}: cannot read {what}: {err.strerror or err}") from None
    except NotText as err:
        raise error(f"{path}: {err}") from None
