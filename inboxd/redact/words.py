"""The words of a text, as the seed-phrase detector reads them, and the BIP39 wordlists.

Tokens (Chinese characters one by one), the gaps allowed between the words of a phrase,
a cheap first look at which words may be wordlist words, and the BIP39 checksum.
This module is the only user of `mnemonic`; its wordlists are loaded once (`wordlists`).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from mnemonic import Mnemonic

from inboxd.redact.common import lowered, overlaps_merged

PHRASE_LENGTHS = (24, 21, 18, 15, 12)
_LETTER = r"[^\W\d_]"
HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_TOKEN = re.compile(f"{_LETTER}+")
_WORD_CHAR = re.compile(_LETTER)
_CJK = re.compile(HAN)
_ALL_CJK = re.compile(f"{HAN}+")
# What may stand between two words of a phrase: spaces, commas, line breaks, quote
# markers, bullets and numbering such as "2." "(3)" "4)" "5、"; underscores and zero-width
# characters too ("abandon_ability_able", or words joined invisibly to get past a filter).
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_GAP = re.compile(
    rf"[\s,，、;；|/·•*>\-–—_{_ZERO_WIDTH}]*(?:[#(（\[]?\d{{1,2}}[.)）\]:：、\-]?)?[\s,，、;；|/·•*>\-–—_{_ZERO_WIDTH}]*",
)
_MAX_GAP = 14


_PIECES_KEPT = 1 << 15
_PIECE_KEPT_BYTES = 48


class PieceMarks(dict[bytes, bytes]):
    """Piece of a text (see `word_marks`) -> its marks, remembered: a piece of ASCII letters is
    one word (one mark), another piece has the marks of its words. Bounded, as the pieces are
    the sender's to vary: only short pieces are kept, and at most _PIECES_KEPT of them."""

    def __init__(self, forms: Mapping[str, int], ascii_forms: frozenset[bytes]) -> None:
        super().__init__()
        self.forms = forms
        self.ascii_forms = ascii_forms

    def __missing__(self, piece: bytes) -> bytes:
        if not piece.isascii():
            marks = _marks_of(piece, self.forms)
        else:
            marks = b"\x01" if piece in self.ascii_forms else b"\x00"
        if len(piece) <= _PIECE_KEPT_BYTES:
            if len(self) >= _PIECES_KEPT:
                self.clear()
            self[piece] = marks
        return marks


@dataclass(frozen=True, slots=True)
class Lexicon:
    languages: tuple[str, ...]
    forms: Mapping[str, int]  # folded word -> bitmask of languages
    index: tuple[Mapping[str, int], ...]  # per language: folded word -> position in the wordlist
    cjk: int  # bitmask of the languages whose words are single Chinese characters
    ascii_forms: frozenset[bytes]  # the forms that are ASCII, encoded (`word_marks` reads bytes)
    pieces: PieceMarks  # the marks of the pieces `word_marks` has met


def _fold(word: str) -> str:
    """Lower-case without accents: customers type "abaco" for "ábaco"."""
    if word.isascii():
        return word.lower()  # the common case, and the same result
    return _fold_unicode(word)


@functools.lru_cache(maxsize=16384)  # bounded: memory stays flat however much mail is read
def _fold_unicode(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def wordlists() -> Lexicon:
    languages = tuple(sorted(Mnemonic.list_languages()))
    forms: dict[str, int] = {}
    index: list[dict[str, int]] = []
    cjk = 0
    for bit, language in enumerate(languages):
        wordlist = Mnemonic(language).wordlist
        table: dict[str, int] = {}
        for position, word in enumerate(wordlist):
            for form in {word, word.casefold(), _fold(word)}:
                table.setdefault(form, position)
                forms[form] = forms.get(form, 0) | (1 << bit)
        index.append(table)
        if all(len(w) == 1 and _CJK.match(w) for w in wordlist[:50]):
            cjk |= 1 << bit
    ascii_forms = frozenset(form.encode() for form in forms if form.isascii())
    return Lexicon(languages, forms, tuple(index), cjk, ascii_forms, PieceMarks(forms, ascii_forms))


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    word: str  # folded
    cjk: bool
    glued: bool = False  # a Chinese character inside a longer word or sentence, not standing alone


def read_tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """The words of `text`, or of the part from `start` to `end` widened to whole words.

    Widened so that a part gives exactly the tokens the whole text has there: a window
    never cuts a word, and a run of touching Chinese characters never crosses its edge.
    """
    end = len(text) if end is None else min(end, len(text))
    start = max(0, start)
    while start > 0 and _WORD_CHAR.match(text, start - 1):
        start -= 1
    while end < len(text) and _WORD_CHAR.match(text, end):
        end += 1
    tokens: list[Token] = []
    append = tokens.append
    for m in _TOKEN.finditer(text, start, end):
        word = m.group(0)
        at = m.start()
        if _CJK.match(word):
            # Chinese is written without spaces: each character is a candidate word. Two
            # letters of one match touch; letters of two matches never do.
            flags = [_CJK.match(ch) is not None for ch in word]
            last = len(word) - 1
            for offset, ch in enumerate(word):
                is_cjk = flags[offset]
                glued = is_cjk and ((offset > 0 and flags[offset - 1]) or (offset < last and flags[offset + 1]))
                append(Token(at + offset, at + offset + 1, ch, is_cjk, glued))
        else:
            append(Token(at, m.end(), word.lower() if word.isascii() else _fold_unicode(word), False))
    return tokens


def are_separated(text: str, left: Token, right: Token) -> bool:
    gap = text[left.end : right.start]
    return 0 < len(gap) <= _MAX_GAP and gap.count("\n") <= 2 and _GAP.fullmatch(gap) is not None


def checksum_ok(lexicon: Lexicon, bit: int, words: list[str]) -> bool:
    """The BIP39 checksum: the first len/3 bits of SHA-256(entropy) end the word indexes.

    Same rule as `Mnemonic.check`, with a dict for the word lookups: it runs for every
    window of every candidate run, and a list search per word made long texts slow.
    """
    table = lexicon.index[bit]
    if len(words) not in PHRASE_LENGTHS or any(w not in table for w in words):
        return False
    bits = 0
    for word in words:
        bits = (bits << 11) | table[word]
    checksum_bits = len(words) * 11 // 33
    entropy = (bits >> checksum_bits).to_bytes(checksum_bits * 4, "big")
    expected = hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
    return bits & ((1 << checksum_bits) - 1) == expected


def _reading(text: str) -> tuple[str, bool]:
    """The text whose words `_TOKEN` reads, and whether each word is still to be lower-cased.

    Lower-casing the whole text keeps its words where they were, except for "İ", which
    becomes "i" and a combining dot (not a letter): such text goes word by word.
    """
    return (text, True) if "\u0130" in text else (lowered(text), False)


# Bytes that end a word: ASCII characters other than letters. A text's UTF-8 bytes with these
# made spaces split into its ASCII words and the stretches between them that hold other
# characters (which `re` then reads, a stretch at a time).
_ASCII_BREAKS = bytes(b if b >= 0x80 or chr(b).isalpha() else 0x20 for b in range(256))


def word_marks(text: str, forms: Mapping[str, int], ascii_forms: frozenset[bytes] | None = None) -> bytearray:
    """A cheap first look at the words of `text`: 1 where a word is, or may be, a wordlist
    word, 0 where it surely is not. No tokens, at nearly the speed of C.

    It errs towards 1: a word it cannot judge without the exact rules of `read_tokens`
    (accents, mixed scripts) counts as a wordlist word, and it ignores languages and
    separators. So the exact rules run only where these marks say a phrase could be.
    `ascii_forms`: those of `forms` that are ASCII, as bytes (`Lexicon.ascii_forms`).
    """
    source, word_by_word = _reading(text)
    if word_by_word:  # "İ": lower-cased word by word, as `_reading` says
        return bytearray(map(_marked, (w.lower() for w in _TOKEN.findall(source)), itertools.repeat(forms)))
    lexicon = wordlists()
    if ascii_forms is None:
        ascii_forms = (
            lexicon.ascii_forms if forms is lexicon.forms else frozenset(f.encode() for f in forms if f.isascii())
        )
    # A word never holds an ASCII character that is not a letter: split there, in C. A piece
    # of ASCII letters is one word; a piece with other characters is read with `_TOKEN`
    # (Chinese punctuation, digits of other scripts and letters with accents all sit there).
    pieces = source.encode("utf-8", "surrogatepass").translate(_ASCII_BREAKS).split()
    if source.isascii():
        return bytearray(map(ascii_forms.__contains__, pieces))
    if forms is lexicon.forms and ascii_forms is lexicon.ascii_forms:
        # Each piece's marks as remembered: looked up in C where the piece was met before (most
        # are: 在, 年, 写道：, the words of quoted history), where reading each piece cost more.
        return bytearray(b"".join(map(lexicon.pieces.__getitem__, pieces)))
    marks = bytearray(map(ascii_forms.__contains__, pieces))
    plain = bytearray(map(bytes.isascii, pieces))
    i = plain.find(0)
    if i < 0:
        return marks
    out = bytearray()
    last = 0
    read: dict[bytes, bytes] = {}  # quoted history repeats its pieces ("在", "年", "写道：")
    while i >= 0:
        out += marks[last:i]
        piece = pieces[i]
        piece_marks = read.get(piece)
        if piece_marks is None:
            piece_marks = read[piece] = _marks_of(piece, forms)
        out += piece_marks
        last = i + 1
        i = plain.find(0, last)
    out += marks[last:]
    return out


def _marks_of(piece: bytes, forms: Mapping[str, int]) -> bytes:
    """The marks of a piece that holds characters other than ASCII letters (read with `_TOKEN`)."""
    return bytes(map(_marked, _TOKEN.findall(piece.decode("utf-8", "surrogatepass")), itertools.repeat(forms)))


def _marked(word: str, forms: Mapping[str, int]) -> bool:
    """A lower-cased word may be a wordlist word: it is one, or it is not ASCII and not Chinese
    written without spaces (every character glued, none a phrase word)."""
    return word in forms or not (word.isascii() or (len(word) > 1 and _ALL_CJK.fullmatch(word) is not None))


def word_starts(text: str) -> list[int]:
    """Where each word that `word_marks` marks starts, in the same order."""
    return [m.start() for m in _TOKEN.finditer(_reading(text)[0])]


def tokens_around(text: str, windows: list[tuple[int, int]]) -> list[Token]:
    """The tokens of the windows (widened to whole words, overlaps read once), in order."""
    merged = overlaps_merged(windows)
    tokens: list[Token] = []
    last = -1
    for start, end in merged:
        tokens.extend(t for t in read_tokens(text, start, end) if t.start > last)
        last = tokens[-1].start if tokens else last
    return tokens
