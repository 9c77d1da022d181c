"""Bytes of unknown or doubtful charset -> text: the only module importing charset-normalizer.

Mail declares its charset, and mail is often wrong about it. The order below is
what a careful reader does, and every step is strict so that a wrong guess fails
rather than producing mojibake:

1. Labels are mapped to the codec that real senders mean: gb2312/gbk/cp936/euc-cn
   are written by clients that emit GBK, so they decode as GB18030 (a superset);
   big5 as big5hkscs; iso-8859-1 as windows-1252 (as browsers do, WHATWG
   Encoding), whose 0x80-0x9F are the smart quotes Outlook writes. us-ascii on
   8-bit bytes says nothing about them: such text is treated as undeclared.
2. Bytes that are valid UTF-8 are UTF-8, even under another label, unless the
   label is a multi-byte charset that also decodes them and the text is too
   short to tell (a few GBK characters can happen to be valid UTF-8: 联通).
3. UTF-8 that only contains Latin-1 characters under a CJK label is Big5/GBK
   read as Latin-1 and saved as UTF-8 ("double-encoded"): undone when the
   result decodes strictly in the declared charset.
4. The declared charset, when it decodes strictly.
5. Otherwise (no label, unknown label, or bytes not valid in it)
   charset-normalizer guesses from a bounded sample.
6. Last resort: the declared codec or UTF-8 with U+FFFD replacements, so text is
   always returned and never contains lone surrogates.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes

# What senders mean by a label, where it is not what the label says.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "euc-cn": "gb18030",
    "euc_cn": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "csbig5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}
# The labels `inboxd.parse` rewrites in the raw bytes, before mail-parser decodes headers itself
# (addresses, attachment names): the Chinese ones, whose codecs reject what clients really write.
RAW_RELABELS = {label: codec for label, codec in _SUPERSETS.items() if codec in ("gb18030", "big5hkscs")}
# Multi-byte legacy charsets: the ones that double-encoding and short-text ambiguity concern.
_CJK = frozenset({"gb18030", "gbk", "gb2312", "big5hkscs", "big5", "cp950", "cp932", "shift_jis", "euc_jp", "cp949"})
# Enough non-ASCII bytes that valid UTF-8 is not a coincidence (two CJK characters in UTF-8).
_UTF8_EVIDENCE = 6
# charset-normalizer looks at this much; the whole payload is then decoded with its answer.
_SNIFF_BYTES = 64 * 1024
_ASCII_BYTES = bytes(range(0x80))


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    charset: str  # the Python codec actually used
    how: str  # "declared", "utf-8", "double-encoded", "detected" or "replaced"


def codec_for(label: str | None) -> str | None:
    """The Python text codec for a MIME charset label, or None when there is none."""
    if not label:
        return None
    name = label.strip().strip("\"'").strip().lower()
    if not name or len(name) > 40:
        return None
    name = _SUPERSETS.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # bytes.decode() refuses codecs that are not text encodings (base64, zlib, rot13).
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _strict(data: bytes, codec: str) -> str | None:
    try:
        text = data.decode(codec)
        text.encode("utf-8")  # some codecs produce lone surrogates, which are not text
    except (UnicodeError, LookupError, ValueError):
        return None
    return text


def _undo_double_encoding(text: str, codec: str) -> str | None:
    if codec not in _CJK or not all(ord(c) < 0x100 for c in text):
        return None
    for single in ("latin-1", "cp1252"):
        try:
            original = text.encode(single)
        except UnicodeEncodeError:
            continue
        recovered = _strict(original, codec)
        if recovered is not None and any(ord(c) > 0x2E7F for c in recovered):
            return recovered
    return None


def decode_text(data: bytes, declared: str | None) -> Decoded:
    """Decode `data`, labelled `declared` (or not at all), as the sender meant it."""
    codec = codec_for(declared)
    as_declared = _strict(data, codec) if codec else None
    if data.isascii():
        if as_declared is not None:
            return Decoded(as_declared, codec or "ascii", "declared")
        return Decoded(data.decode("ascii"), "ascii", "declared")

    as_utf8 = as_declared if codec == "utf-8" else _strict(data, "utf-8")  # decoded once
    if as_utf8 is not None:
        if codec:
            recovered = _undo_double_encoding(as_utf8, codec)
            if recovered is not None:
                return Decoded(recovered, codec, "double-encoded")
        single_byte = as_declared is not None and len(as_declared) == len(data)
        non_ascii = len(data.translate(None, _ASCII_BYTES))
        if as_declared is None or codec == "utf-8" or single_byte or non_ascii >= _UTF8_EVIDENCE:
            return Decoded(as_utf8, "utf-8", "declared" if codec == "utf-8" else "utf-8")

    if as_declared is not None:
        return Decoded(as_declared, codec or "", "declared")

    guess = from_bytes(data[:_SNIFF_BYTES]).best()
    if guess is not None:
        guessed = codec_for(guess.encoding)
        if guessed:
            try:
                text = data.decode(guessed, "replace")
                text.encode("utf-8")
                return Decoded(text, guessed, "detected")
            except (UnicodeError, LookupError):
                pass
    fallback = codec or "utf-8"
    try:
        text = data.decode(fallback, "replace")
        text.encode("utf-8")
    except (UnicodeError, LookupError):
        fallback, text = "utf-8", data.decode("utf-8", "replace")
    return Decoded(text, fallback, "replaced")
