"""The bytes of a billing export -> its header and its rows of text cells, in chunks.

Reading rules (issue 19):

- **encoding**: a byte-order mark first (UTF-8, UTF-16 LE/BE; UTF-32 is refused), then strict UTF-8,
  then CP932 (Windows Shift_JIS: it holds ㈱, 髙 and ① that strict Shift_JIS lacks), else a clear error.
  UTF-8 is tried first because UTF-8 Japanese decodes as CP932 without error, to nonsense (``顧客`` ->
  ``鬘ｧ螳｢``); the reverse is not true. CP932 bytes that are really EUC-JP (they decode to half-width
  kana where Japanese text has full-width characters) are refused rather than read as nonsense.
  ``encoding=`` overrides all of this. A ZIP (``.xlsx``) or OLE (``.xls``) file is an Excel workbook,
  and a file with NUL or control bytes is not text: both are refused with what to do.
- **delimiter**: comma, tab or semicolon, whichever the header line holds most of outside quotes.
- **rows**: numbered as in the file, the header being row 1; blank rows keep their numbers and are
  dropped. The file is read in chunks of :data:`CHUNK_ROWS` rows, so memory follows the cells cssim keeps,
  not the size of the file; a file of :data:`PROGRESS_BYTES` or more shows a progress bar (tqdm: a
  widget in a notebook, a line on a terminal) once it has taken :data:`PROGRESS_DELAY` seconds.
"""

from __future__ import annotations

import codecs
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..model.errors import Problem

__all__ = ["CHUNK_ROWS", "PROGRESS_BYTES", "PROGRESS_DELAY", "TextTable", "open_table"]

CHUNK_ROWS = 200_000
PROGRESS_BYTES = 20_000_000
#: seconds a read runs before its progress bar shows
PROGRESS_DELAY = 2.0
_BLOCK = 1 << 20
_SAMPLE = 1 << 16

#: how the provenance names each encoding
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "utf-16": "UTF-16",
    "cp932": "CP932 (Shift_JIS)",
}


class TableError(Exception):
    """A file that cannot be read as a table; carries the problem (the caller adds the source)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.message)


@dataclass
class TextTable:
    """A table of text cells: the header as written and the rows in chunks."""

    source: str
    encoding: str  # the codec used ("" for a DataFrame)
    delimiter: str  # "," "\t" ";" ("" for a DataFrame)
    header: list[str]
    size: int  # bytes (0 for a DataFrame)
    _chunks: object = None

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Chunks of rows: columns 0..n-1 of str, the index the row number in the file (header = 1);
        blank rows dropped."""
        yield from self._chunks()


def _problem(message: str) -> TableError:
    return TableError(Problem("", message))


def open_table(data, source: str, *, encoding: str | None = None) -> TextTable:
    """A :class:`TextTable` for a path or a DataFrame; a :class:`TableError` when it cannot be one."""
    if isinstance(data, pd.DataFrame):
        return _frame_table(data, source)
    path = Path(data)
    try:
        if path.is_dir():
            raise _problem("this is a folder, not a CSV file")
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(_SAMPLE)
    except FileNotFoundError:
        raise _problem("no such file") from None
    except OSError as e:
        raise _problem(f"cannot read the file: {e.strerror}") from None
    if size == 0 or not head.strip():
        raise _problem("the file is empty")
    _refuse_binary(head)
    codec = _encoding(path, head, encoding)
    text = head.decode(codec, errors="ignore")
    if codec in ("utf-8", "cp932"):
        _refuse_controls(text, codec)
    delimiter = _delimiter(text.lstrip("\ufeff"))
    header, first = _header(path, codec, delimiter)
    return TextTable(
        source,
        codec,
        delimiter,
        header,
        size,
        lambda: _file_chunks(path, codec, delimiter, len(header), first, size, source),
    )


def _frame_table(frame: pd.DataFrame, source: str) -> TextTable:
    raw = frame.copy()
    raw.columns = range(raw.shape[1])
    raw = raw.astype(object).where(raw.notna(), "").astype(str)
    raw.index = np.arange(len(raw)) + 2

    def chunks():
        yield _drop_blank(raw)

    return TextTable(source, "", "", [str(c) for c in frame.columns], 0, chunks)


# -- what the bytes are ----------------------------------------------------------------------------------


def _refuse_binary(head: bytes) -> None:
    if head.startswith(b"PK\x03\x04"):
        raise _problem(
            "this is an Excel workbook (.xlsx) or another ZIP archive, not CSV text: open it in "
            "Excel and save it as CSV (UTF-8 or CP932)"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _problem(
            "this is an Excel workbook (.xls), not CSV text: open it in Excel and save it as CSV "
            "(UTF-8 or CP932)"
        )
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise _problem("the file is UTF-32 text: save it as UTF-8 or CP932")


def _encoding(path: Path, head: bytes, given: str | None) -> str:
    if given:
        try:
            codec = codecs.lookup(given).name
        except LookupError:
            raise _problem(f"encoding {given!r} is not an encoding Python knows") from None
        codec = {"utf-8": "utf-8-sig"}.get(codec, codec)
        _validate(path, codec, given)
        return codec
    if head.startswith(codecs.BOM_UTF8):
        _validate(path, "utf-8-sig", "UTF-8")
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _validate(path, "utf-16", "UTF-16")
        return "utf-16"
    if b"\x00" in head:
        raise _problem(
            "this is not a text file (it holds NUL bytes): save the table as CSV (UTF-8 or CP932)"
        )
    seen: list[int] = [0]
    bad = _decodes(path, "utf-8", japanese=seen)
    if bad is None:
        return "utf-8"
    if seen[0] >= _UTF8_EVIDENCE:  # Japanese read as UTF-8 before the bad byte: not CP932
        raise _problem(
            f"the file is UTF-8 text up to byte {bad}, which is not UTF-8: save it again as UTF-8"
        )
    error = _decodes(path, "cp932")
    if error is not None:
        raise _problem(
            f"the file is neither UTF-8 nor CP932 (Shift_JIS) text (byte {error} is not valid in "
            "either): save it as UTF-8, or pass encoding= naming its encoding"
        )
    if _looks_euc(head):
        raise _problem(
            "the file reads as CP932 (Shift_JIS) only as half-width kana where Japanese text has "
            "kanji, so it is probably EUC-JP: save it as UTF-8 or CP932, or pass encoding='euc_jp'"
        )
    return "cp932"


#: Japanese characters read as UTF-8 before a bad byte that make a file UTF-8 with a broken byte,
#: rather than CP932 (whose kana can form a few UTF-8 pairs by chance, never runs of kanji)
_UTF8_EVIDENCE = 8
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _decodes(
    path: Path, codec: str, nul: bool = True, japanese: list[int] | None = None
) -> str | None:
    """None when the whole file decodes strictly as ``codec``, else the first bad byte (1-based);
    streamed, so a large file is never held whole. ``nul``: a NUL byte means the file is not text;
    ``japanese[0]`` counts the kana and kanji decoded (up to :data:`_UTF8_EVIDENCE`)."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset = 0
    with path.open("rb") as f:
        while True:
            block = f.read(_BLOCK)
            try:
                text = decoder.decode(block, final=not block)
                if japanese is not None and japanese[0] < _UTF8_EVIDENCE:
                    japanese[0] += len(_JAPANESE.findall(text))
            except UnicodeDecodeError as e:
                if japanese is not None and e.start > 0:
                    good = block[: e.start].decode(codec, errors="ignore")
                    japanese[0] += len(_JAPANESE.findall(good))
                return str(offset + max(e.start, 0) + 1)
            if not block:
                return None
            if nul and b"\x00" in block:
                raise _problem(
                    "this is not a text file (it holds NUL bytes): save the table as CSV (UTF-8 "
                    "or CP932)"
                )
            offset += len(block)


def _validate(path: Path, codec: str, name: str) -> None:
    error = _decodes(path, codec, nul=codec not in ("utf-16", "utf-16-le", "utf-16-be"))
    if error is not None:
        raise _problem(f"the file is not {name} text (byte {error} cannot be read)")


def _looks_euc(head: bytes) -> bool:
    """EUC-JP read as CP932 turns into half-width kana and punctuation (U+FF61-FF9F)."""
    try:
        head.decode("euc_jp")
    except UnicodeDecodeError:
        return False
    text = head.decode("cp932", errors="ignore")
    wide = [c for c in text if ord(c) > 0x7F]
    half = sum(1 for c in wide if 0xFF61 <= ord(c) <= 0xFF9F)
    return len(wide) >= 4 and half > len(wide) / 2


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f\ue000-\uf8ff]")


def _refuse_controls(text: str, codec: str) -> None:
    bad = _CONTROL.findall(text)
    if len(bad) > max(2, len(text) // 1000):
        raise _problem(
            "this is not a text file (it holds control characters): save the table as CSV "
            "(UTF-8 or CP932)"
        )


def _delimiter(text: str) -> str:
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    outside = re.sub(r'"[^"]*"', "", line)
    counts = {d: outside.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


# -- rows ------------------------------------------------------------------------------------------------


def _read_csv(handle, codec: str, delimiter: str, **options):
    return pd.read_csv(
        handle,
        sep=delimiter,
        header=None,
        dtype=str,
        na_filter=False,
        skip_blank_lines=False,
        encoding=codec,
        quotechar='"',
        engine="c",
        **options,
    )


def _header(path: Path, codec: str, delimiter: str) -> tuple[list[str], pd.DataFrame]:
    try:
        with path.open("rb") as f:
            first = next(iter(_read_csv(f, codec, delimiter, chunksize=2)))
    except (pd.errors.ParserError, ValueError) as e:
        raise _problem(f"this is not a readable CSV table: {_detail(e)}") from None
    except StopIteration:
        raise _problem("the file is empty") from None
    header = [str(c).strip() for c in first.iloc[0].tolist()]
    return header, first


def _file_chunks(path, codec, delimiter, width, first, size, source) -> Iterator[pd.DataFrame]:
    from tqdm.auto import tqdm

    bar = tqdm(
        total=size,
        unit="B",
        unit_scale=True,
        desc=Path(source).name,
        disable=size < PROGRESS_BYTES,
        delay=PROGRESS_DELAY,
        leave=False,
        file=sys.stderr,
    )
    offset = 1  # the first row of the next chunk, counting the header as row 1
    try:
        with path.open("rb") as raw:
            counted = _Counting(raw, bar)
            for chunk in _read_csv(counted, codec, delimiter, chunksize=CHUNK_ROWS):
                chunk.index = np.arange(len(chunk)) + offset
                offset += len(chunk)
                if chunk.index[0] == 1:
                    chunk = chunk.iloc[1:]
                if chunk.shape[1] != width:  # pandas pads short rows; a longer one is an error
                    chunk = chunk.reindex(columns=range(width), fill_value="")
                yield _drop_blank(chunk)
    except pd.errors.ParserError as e:
        raise _problem(f"this is not a readable CSV table: {_detail(e)}") from None
    except UnicodeDecodeError as e:
        raise _problem(
            f"the file is not {codec} text (byte {e.start + 1} cannot be read)"
        ) from None
    except OSError as e:
        raise _problem(f"cannot read the file: {e.strerror}") from None
    finally:
        bar.close()


def _drop_blank(chunk: pd.DataFrame) -> pd.DataFrame:
    if chunk.empty:
        return chunk
    chunk = chunk.fillna("")
    blank = np.ones(len(chunk), dtype=bool)
    for c in chunk.columns:
        blank &= (chunk[c].str.strip() == "").to_numpy(bool)
    return chunk[~blank]


def _detail(e: Exception) -> str:
    text = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
    return re.sub(r"^Error tokenizing data\. C error: ", "", text)


class _Counting(io.RawIOBase):
    """A binary file that moves a progress bar as it is read."""

    def __init__(self, raw, bar):
        self._raw, self._bar = raw, bar

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        self._bar.update(n or 0)
        return n

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._bar.update(len(data))
        return data
