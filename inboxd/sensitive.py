"""Customer secrets in a mail: find them and redact them before anything else reads it.

A customer who pastes a seed phrase, a private key, a password or 2FA backup codes into
an e-mail must be protected: the secret is replaced by a marker such as
`[REDACTED SEED PHRASE]` before the mail is classified, extracted from, stored, logged
or quoted back, and only its kind and position (`Secret`) are kept. Detection runs on
the whole text — quoted history included, since a secret quoted back is still a
secret — and on the subject and headers.

- seed phrases: runs of BIP39 words from any wordlist the `mnemonic` package ships
  (English, Chinese simplified and traditional, Japanese, Korean, Spanish, French,
  Italian, Portuguese, Czech, Russian, Turkish), 12–24 words, tolerant of numbering,
  commas, line breaks, quote markers, underscores and zero-width characters; Chinese
  words written without separators count after a cue word (助记词) and are pinned by
  the BIP39 checksum. Ordinary prose uses many BIP39 words, so a run must be long; a
  short or prose-like run needs the checksum or a cue word;
- private keys: 64 hex (with or without `0x`) that the text calls a key, WIF keys and
  BIP-32 extended private keys (base58check verified), Solana 64-byte keys after a cue;
  64 hex or a WIF key also in pieces (groups of four, two lines, two halves). A key word
  that only names the tool ("the tx I signed with my private key: 0x…") does not make
  the value a key: `extract.context.nearest_cue`;
- passwords stated in the text (`my password is …`, `密码是…`, `资金密码：…`, `I use … as
  my password`, `pass: …`, `login alice pass …`, `credentials: alice / …`, `密码用的是…`);
- 2FA backup codes and authenticator setup keys listed after a cue (备用码, backup codes,
  authenticator secret), and `otpauth://` setup links.

`redact_mail` also scans the text of a mail's small text attachments
(`ParsedEmail.attachment_text`).

This module is the only user of `mnemonic`; its wordlists are loaded once.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from mnemonic import Mnemonic

from inboxd.extract.checksums import BASE58_ALPHABET, base58_length, extended_private_key_valid, wif_valid
from inboxd.extract.context import cue_pattern, nearest_cue
from inboxd.extract.hashes import KEY_CUES, OTHER_CUES, TX_CUES
from inboxd.models import ParsedEmail, Secret

KINDS = ("seed_phrase", "private_key", "password", "backup_code")
PLACEHOLDER = {
    "seed_phrase": "[REDACTED SEED PHRASE]",
    "private_key": "[REDACTED PRIVATE KEY]",
    "password": "[REDACTED PASSWORD]",
    "backup_code": "[REDACTED 2FA CODE]",
}
_PLACEHOLDER_START = "[REDACTED "
_PLACEHOLDERS = tuple(PLACEHOLDER.values())
# When two findings overlap, the merged secret takes the kind that comes first here.
_PRIORITY = {"private_key": 0, "seed_phrase": 1, "backup_code": 2, "password": 3}

# -- seed phrases --------------------------------------------------------------------------------

SEED_CUES = (
    "seed phrase", "seed words", "seed", "recovery phrase", "recovery words", "secret recovery phrase", "mnemonic",
    "mnemonic phrase", "backup phrase", "wallet words", "12 words", "24 words", "the words", "these words",
    "助记词", "助記詞", "助记", "记忆词", "恢复词", "恢復詞", "种子词", "種子詞", "钱包单词", "单词", "密语",
)  # fmt: skip
_SEED_CUE = cue_pattern(SEED_CUES)
# Chinese written without separators is a phrase only right after one of these.
_CHINESE_SEED_CUE = cue_pattern(
    (
        "助记词",
        "助記詞",
        "记忆词",
        "記憶詞",
        "恢复词",
        "恢復詞",
        "种子词",
        "種子詞",
        "mnemonic",
        "seed phrase",
        "recovery phrase",
    )
)
_CUE_TO_PHRASE = re.compile(r"\s*(?:是|为|為|如下|:|：|是：|为：)?\s*[:：]?\s*[\"'“「『]?")
_MIN_WORDS = 12  # without a cue word or a checksum
_MIN_WORDS_WITH_CUE = 8  # a partial phrase after "my seed phrase is" is still a secret
_PHRASE_LENGTHS = (24, 21, 18, 15, 12)
_MAX_UNKNOWN = 2  # mistyped words tolerated inside a phrase that follows a cue word
_LETTER = r"[^\W\d_]"
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_TOKEN = re.compile(f"{_LETTER}+")
_WORD_CHAR = re.compile(_LETTER)
_CJK = re.compile(_HAN)
_CJK_RUN = re.compile(f"{_HAN}{{{_MIN_WORDS},}}")
_ALL_CJK = re.compile(f"{_HAN}+")
# What may stand between two words of a phrase: spaces, commas, line breaks, quote
# markers, bullets and numbering such as "2." "(3)" "4)" "5、"; underscores and zero-width
# characters too ("abandon_ability_able", or words joined invisibly to get past a filter).
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_GAP = re.compile(
    rf"[\s,，、;；|/·•*>\-–—_{_ZERO_WIDTH}]*(?:[#(（\[]?\d{{1,2}}[.)）\]:：、\-]?)?[\s,，、;；|/·•*>\-–—_{_ZERO_WIDTH}]*",
)
_MAX_GAP = 14


@dataclass(frozen=True, slots=True)
class _Lexicon:
    languages: tuple[str, ...]
    forms: Mapping[str, int]  # folded word -> bitmask of languages
    index: tuple[Mapping[str, int], ...]  # per language: folded word -> position in the wordlist
    cjk: int  # bitmask of the languages whose words are single Chinese characters


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
def _lexicon() -> _Lexicon:
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
    return _Lexicon(languages, forms, tuple(index), cjk)


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    word: str  # folded
    cjk: bool
    glued: bool = False  # a Chinese character inside a longer word or sentence, not standing alone


def _tokens(text: str, start: int = 0, end: int | None = None) -> list[_Token]:
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
    tokens: list[_Token] = []
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
                append(_Token(at + offset, at + offset + 1, ch, is_cjk, glued))
        else:
            append(_Token(at, m.end(), word.lower() if word.isascii() else _fold_unicode(word), False))
    return tokens


def _separated(text: str, left: _Token, right: _Token) -> bool:
    gap = text[left.end : right.start]
    return 0 < len(gap) <= _MAX_GAP and gap.count("\n") <= 2 and _GAP.fullmatch(gap) is not None


def _checksum_ok(lexicon: _Lexicon, bit: int, words: list[str]) -> bool:
    """The BIP39 checksum: the first len/3 bits of SHA-256(entropy) end the word indexes.

    Same rule as `Mnemonic.check`, with a dict for the word lookups: it runs for every
    window of every candidate run, and a list search per word made long texts slow.
    """
    table = lexicon.index[bit]
    if len(words) not in _PHRASE_LENGTHS or any(w not in table for w in words):
        return False
    bits = 0
    for word in words:
        bits = (bits << 11) | table[word]
    checksum_bits = len(words) * 11 // 33
    entropy = (bits >> checksum_bits).to_bytes(checksum_bits * 4, "big")
    expected = hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
    return bits & ((1 << checksum_bits) - 1) == expected


def _valid_window(lexicon: _Lexicon, bit: int, run: list[_Token]) -> tuple[int, int] | None:
    """The longest, earliest window of the run that is a checksum-valid phrase (token indexes)."""
    words = [t.word for t in run]
    for length in _PHRASE_LENGTHS:
        for first in range(0, len(words) - length + 1):
            if _checksum_ok(lexicon, bit, words[first : first + length]):
                return first, first + length
    return None


def _cue_before(text: str, start: int, reach: int) -> re.Match[str] | None:
    last = None
    for m in _SEED_CUE.finditer(text, max(0, start - reach), start + 1):
        last = m
    return last


def _runs(tokens: list[_Token], masks: list[int], joined: Callable[[int], bool]) -> Iterator[tuple[int, list[_Token]]]:
    """Maximal runs of words of one language, every language in one pass: (bit, run).

    `masks[i]` says which wordlists token i belongs to (0: none, or not to be read as a
    word here); a language's run goes on while its bit stays set and `joined(i)` says
    token i follows token i-1 the way phrase words follow each other.
    """
    active = 0  # languages whose run reaches the previous token
    starts: dict[int, int] = {}
    for i, mask in enumerate(masks):
        if active:
            keep = active & mask
            if keep and not joined(i):
                keep = 0
            ended = active & ~keep
            while ended:
                low = ended & -ended
                bit = low.bit_length() - 1
                if i - starts[bit] >= _MIN_WORDS_WITH_CUE:
                    yield bit, tokens[starts[bit] : i]
                ended ^= low
            new = mask & ~keep
        else:
            new = mask
        while new:
            low = new & -new
            starts[low.bit_length() - 1] = i
            new ^= low
        active = mask
    while active:
        low = active & -active
        bit = low.bit_length() - 1
        if len(tokens) - starts[bit] >= _MIN_WORDS_WITH_CUE:
            yield bit, tokens[starts[bit] :]
        active ^= low


def _prose_like(text: str, run: list[_Token]) -> bool:
    """A written sentence rather than a pasted list of words.

    Prose this long made only of BIP39 words is rare (they hold no "the", "to", "my"),
    but it happens. A sentence is single-spaced, and has capitals after its first word
    or other words on the same line; a pasted phrase is lower-case (a phone may capitalise
    the first word), numbered, one word a line, or alone on its line.
    """
    gaps = [text[a.end : b.start] for a, b in itertools.pairwise(run)]
    spaced = sum(g == " " for g in gaps) >= 0.6 * len(gaps) and not any(c.isdigit() for g in gaps for c in g)
    capitals = any(text[t.start].isupper() for t in run[1:])
    line_start = text.rfind("\n", 0, run[0].start) + 1
    line_end = text.find("\n", run[-1].end)
    line_end = len(text) if line_end < 0 else line_end
    before = text[line_start : run[0].start].strip(" \t>\"'“‘:：-")
    after = text[run[-1].end : line_end].strip(" \t.\"'”’")
    embedded = bool(before and not _SEED_CUE.search(before)) or bool(after)
    return spaced and (capitals or embedded)


def _is_phrase(text: str, run: list[_Token], bit: int, lexicon: _Lexicon) -> bool:
    """A run of separated words of one wordlist that is a seed phrase."""
    cjk = bool(lexicon.cjk & (1 << bit))
    if cjk and not all(t.cjk for t in run):
        return False
    cue = _cue_before(text, run[0].start, 300) is not None
    if len(run) < _MIN_WORDS:
        return cue
    # Cheapest evidence first; a phrase starts near a run's start (checksums of the first 48).
    return cjk or cue or _valid_window(lexicon, bit, run[:48]) is not None or not _prose_like(text, run)


_RUN_OF_WORDS = b"\x01" * _MIN_WORDS_WITH_CUE


def _word_marks(text: str, forms: Mapping[str, int]) -> tuple[list[int], bytearray]:
    """A cheap first look at the words of `text`: where each starts, and 1 where it is, or may
    be, a wordlist word, 0 where it surely is not. No tokens, at nearly the speed of C.

    It errs towards 1: a word it cannot judge without the exact rules of `_tokens`
    (accents, mixed scripts) counts as a wordlist word, and it ignores languages and
    separators. So the exact rules run only where these marks say a phrase could be.
    """
    # Lower-casing the whole text keeps its words where they were, except for "İ", which
    # becomes "i" and a combining dot (not a letter): such text goes word by word.
    if "\u0130" in text:
        found = [(m.start(), m.group().lower()) for m in _TOKEN.finditer(text)]
    else:
        found = [(m.start(), m.group()) for m in _TOKEN.finditer(text.lower())]
    starts = [start for start, _ in found]
    words = [word for _, word in found]
    marks = bytearray(map(forms.__contains__, words))
    if not text.isascii():
        for i in [i for i, w in enumerate(words) if not w.isascii()]:
            # Chinese written without spaces: every character is glued, none a phrase word.
            if not marks[i] and not (len(words[i]) > 1 and _ALL_CJK.fullmatch(words[i])):
                marks[i] = 1
    return starts, marks


def _typos_possible(cue: re.Match[str], starts: list[int], marks: bytearray) -> bool:
    """False when the words after a cue cannot hold a phrase with typos.

    Such a phrase is at least `_MIN_WORDS` words in a row, all but `_MAX_UNKNOWN` of
    them wordlist words, among the 40 words that start within 400 characters of the
    cue's end (here: within 440, which errs towards "possible"). `starts` and `marks` are
    `_word_marks` of the whole text, computed once for all its cues.
    """
    first = bisect.bisect_left(starts, cue.end())
    last = min(bisect.bisect_left(starts, cue.end() + 440, first), first + 40)
    window = marks[first:last]
    need = _MIN_WORDS - _MAX_UNKNOWN
    if sum(window) < need:
        return False
    return any(sum(window[i : i + _MIN_WORDS]) >= need for i in range(max(1, len(window) - _MIN_WORDS + 1)))


def _chinese_phrase_possible(text: str, cue: re.Match[str]) -> bool:
    """Chinese without separators is a phrase only when 12 characters follow the cue's lead-in."""
    lead = _CUE_TO_PHRASE.match(text, cue.end())
    return _CJK_RUN.match(text, lead.end() if lead else cue.end()) is not None


def _overlaps_merged(windows: list[tuple[int, int]]) -> list[list[int]]:
    """Windows sorted, each overlapping run of them as one [start, end]."""
    merged: list[list[int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _tokens_around(text: str, windows: list[tuple[int, int]]) -> list[_Token]:
    """The tokens of the windows (widened to whole words, overlaps read once), in order."""
    merged = _overlaps_merged(windows)
    tokens: list[_Token] = []
    last = -1
    for start, end in merged:
        tokens.extend(t for t in _tokens(text, start, end) if t.start > last)
        last = tokens[-1].start if tokens else last
    return tokens


def _seed_spans(text: str) -> list[tuple[int, int]]:
    lexicon = _lexicon()
    forms = lexicon.forms
    spans: list[tuple[int, int]] = []
    # Words are read only where a phrase can be: the whole text when it may hold a long
    # enough run, otherwise just around the cue words that may lead into one (quoted
    # acknowledgements hold "seed phrase" in their safety notice: cues alone are common).
    chinese_cues = [
        c for c in (_CHINESE_SEED_CUE.finditer(text) if lexicon.cjk else ()) if _chinese_phrase_possible(text, c)
    ]  # fmt: skip
    starts, marks = _word_marks(text, forms)
    typo_cues = [c for c in _SEED_CUE.finditer(text) if _typos_possible(c, starts, marks)]
    if _RUN_OF_WORDS in marks:  # a run of `_MIN_WORDS_WITH_CUE` wordlist words may be in the text
        tokens = _tokens(text)
        # 你 in 你们 is one word of Chinese prose, not a separated phrase word.
        masks = [0 if t.glued else forms.get(t.word, 0) for t in tokens]

        def separated(i: int) -> bool:
            return _separated(text, tokens[i - 1], tokens[i])

        for bit, run in _runs(tokens, masks, separated):
            if _is_phrase(text, run, bit, lexicon):
                spans.append((run[0].start, run[-1].end))
    elif chinese_cues or typo_cues:
        windows = [(c.start() - 13, c.end() + 400) for c in chinese_cues]
        windows += [(c.end(), c.end() + 400) for c in typo_cues]
        tokens = _tokens_around(text, windows)
    else:
        return spans
    # Chinese written without separators counts only right after a cue word (a run of
    # touching characters that reaches within 12 characters of one: _adjacent_phrase).
    if chinese_cues:
        chinese = [forms.get(t.word, 0) & lexicon.cjk for t in tokens]

        def touching(i: int) -> bool:
            return tokens[i].cjk and tokens[i - 1].end == tokens[i].start

        for bit, run in _runs(tokens, chinese, touching):
            span = _adjacent_phrase(text, run, bit, lexicon)
            if span:
                spans.append(span)
    spans.extend(_cue_phrases_with_typos(text, tokens, typo_cues, lexicon))
    return spans


def _adjacent_phrase(text: str, run: list[_Token], bit: int, lexicon: _Lexicon) -> tuple[int, int] | None:
    """Chinese words without separators: right after a cue word (助记词是：…).

    Chinese prose is made of the same common characters, so the run must start where
    the cue's sentence leads into it; the BIP39 checksum then pins the phrase, and a
    mistyped one (no valid checksum) is removed up to 24 characters.
    """
    cue = None
    for m in _CHINESE_SEED_CUE.finditer(text, max(0, run[0].start - 12), run[-1].end):
        cue = m
        break
    if cue is None:
        return None
    lead = _CUE_TO_PHRASE.match(text, cue.end())
    phrase_start = lead.end() if lead else cue.end()
    body = [t for t in run if t.start >= phrase_start]
    if len(body) < _MIN_WORDS or body[0].start != phrase_start:
        return None
    for length in _PHRASE_LENGTHS:  # the phrase starts right after the cue
        if len(body) >= length and _checksum_ok(lexicon, bit, [t.word for t in body[:length]]):
            return body[0].start, body[length - 1].end
    return body[0].start, body[min(len(body), 24) - 1].end


def _cue_phrases_with_typos(
    text: str, tokens: list[_Token], cues: list[re.Match[str]], lexicon: _Lexicon
) -> Iterator[tuple[int, int]]:
    """After a cue word, a list of words with up to two mistyped ones is still a phrase."""
    starts = [t.start for t in tokens]
    for cue in cues:
        first = bisect.bisect_left(starts, cue.end())
        following = [t for t in tokens[first : first + 40] if t.start < cue.end() + 400 and not t.cjk]
        if len(following) < _MIN_WORDS:
            continue
        masks = [lexicon.forms.get(t.word, 0) for t in following]
        for bit in range(len(lexicon.languages)):
            mask = 1 << bit
            if sum(1 for m in masks if m & mask) < _MIN_WORDS - _MAX_UNKNOWN:
                continue  # too few words of this language to hold a phrase
            run: list[_Token] = []
            unknown = 0
            for token in [*following, None]:
                known = token is not None and bool(lexicon.forms.get(token.word, 0) & mask)
                typo = token is not None and not known and 3 <= len(token.word) <= 8 and unknown < _MAX_UNKNOWN
                joined = token is not None and bool(run) and _separated(text, run[-1], token)
                if joined and (known or typo):
                    assert token is not None
                    run.append(token)
                    unknown += 0 if known else 1
                    continue
                while run and not lexicon.forms.get(run[-1].word, 0) & mask:
                    run.pop()  # a phrase does not end on a mistyped word
                    unknown -= 1
                if len(run) >= _MIN_WORDS:
                    yield run[0].start, run[-1].end
                run, unknown = ([token], 0) if known and token is not None else ([], 0)


# -- private keys --------------------------------------------------------------------------------

_HEX_KEY = re.compile(r"(?<![0-9A-Za-z/=])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
_WIF = re.compile(rf"(?<![0-9A-Za-z])[5KL9c][{BASE58_ALPHABET}]{{50,51}}(?![0-9A-Za-z])")
_XPRV = re.compile(rf"(?<![0-9A-Za-z])[xyzt]prv[{BASE58_ALPHABET}]{{100,112}}(?![0-9A-Za-z])")
_BASE58_KEY = re.compile(rf"(?<![0-9A-Za-z/=])[{BASE58_ALPHABET}]{{80,90}}(?![0-9A-Za-z])")
_BYTE_ARRAY_KEY = re.compile(r"\[\s*(?:\d{1,3}\s*,\s*){31,63}\d{1,3}\s*\]")  # Solana keypair files
_KEY_VS_OTHER = {
    "key": cue_pattern(KEY_CUES),
    "tx": cue_pattern(TX_CUES),
    "other": cue_pattern(OTHER_CUES),
}


# Every key cue holds one of these (lower-cased; the Kelvin sign that `re.I` reads as "k"
# lowers to "k" too): where none is near, no cue can call the value a key, and the cue
# patterns need not run. A quoted acknowledgement's transaction hash is checked at every mail.
_KEY_CUE_CORES = ("key", "钥", "鑰")  # a test checks that each of KEY_CUES holds one


def _called_a_key(text: str, start: int, end: int) -> bool:
    near = text[max(0, start - 100) : end + 40].lower()
    if not any(core in near for core in _KEY_CUE_CORES):
        return False
    return nearest_cue(text, start, _KEY_VS_OTHER, before=100, after=40, end=end) == "key"


# Every key above but the byte array is a whole run of letters and digits, at least 51 long:
# the patterns are tried only where such a run starts (scanning a text with each cost more).
# Runs from 16 on are read too: they may be a piece of a key written in pieces (below).
_RUN = re.compile(r"[0-9A-Za-z]{16,}")
_LONG_RUN = 51

# A key written in pieces: 64 hex in groups of four or eight, or over two lines (a client
# wrapped it, a phone copied half at a time); a WIF key in two parts. A piece is a run of at
# least 4 letters and digits; pieces are joined by one space, tab or dash, or by a line break
# (with the indentation and quote markers of the next line). The same rules as for a key in
# one piece decide: 64 hex must be called a key, a WIF key must pass its checksum. Pieces are
# looked for only around a piece of 16 or more (a key in at most four pieces has one) and
# around groups of four hex: searching every text for pieces cost 0.12 ms a mail.
_PIECE = re.compile(r"[0-9A-Za-z]+")
_PIECE_GAP = r"(?:[ \t-]|[ \t]*\r?\n[ \t>]*)"
_GAP_CHARS = frozenset(" \t-\r\n>")
_HEX_PIECES = re.compile(
    rf"(?<![0-9A-Za-z])(?:0[xX])?[0-9a-fA-F]{{4,}}(?:{_PIECE_GAP}[0-9a-fA-F]{{4,}}(?![0-9A-Za-z]))+"
)
_BASE58_PIECES = re.compile(
    rf"(?<![0-9A-Za-z])[{BASE58_ALPHABET}]{{4,}}(?:{_PIECE_GAP}[{BASE58_ALPHABET}]{{4,}}(?![0-9A-Za-z]))+"
)
_HEX_DIGITS = re.compile(r"(?:0[xX])?(?P<digits>[0-9a-fA-F]+)")
_BASE58_DIGITS = re.compile(rf"[{BASE58_ALPHABET}]+")
_HEX_GROUPS = (  # a literal first character: `re` skips to it in C
    re.compile(r" (?:[0-9a-fA-F]{4}){1,2} [0-9a-fA-F]{4}"),
    re.compile(r"-(?:[0-9a-fA-F]{4}){1,2}-[0-9a-fA-F]{4}"),
)
# How far from where it was seen a key in pieces may reach: 64 hex in 16 groups with their
# gaps are 79 characters, a WIF key in parts at most 52 and a few gaps.
_HEX_REACH = 90
_WIF_REACH = 60


def _merged(windows: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Overlapping windows as one, each widened to whole words (a piece is never cut in two)."""
    if not windows:
        return []
    merged = _overlaps_merged(windows)
    for window in merged:
        window[0] = max(0, window[0])
        while window[1] < len(text) and text[window[1]].isascii() and text[window[1]].isalnum():
            window[1] += 1
    return [(start, end) for start, end in merged]


def _piece_windows(text: str, runs: list[re.Match[str]]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Where 64 hex, and where a WIF key, may be written in pieces: around a run that touches a
    gap (hex shorter than 64, base58 shorter than a WIF key), and around groups of four hex."""
    hexes: list[tuple[int, int]] = []
    wifs: list[tuple[int, int]] = []
    for run in runs:
        start, end = run.span()
        if text[start - 1 : start] not in _GAP_CHARS and text[end : end + 1] not in _GAP_CHARS:
            continue
        value = run.group(0)
        if end - start < 64 and _HEX_DIGITS.fullmatch(value):
            hexes.append((start - _HEX_REACH, end + _HEX_REACH))
        if end - start <= 48 and _BASE58_DIGITS.fullmatch(value):
            wifs.append((start - _WIF_REACH, end + _WIF_REACH))
    for pattern in _HEX_GROUPS:
        hexes.extend((m.start() - _HEX_REACH, m.end() + _HEX_REACH) for m in pattern.finditer(text))
    return _merged(hexes, text), _merged(wifs, text)


def _joined_to(lengths: list[int], valid: list[bool], first: int, first_length: int, wanted: tuple[int, ...]) -> int:
    """The last piece of a run from piece `first` (counting `first_length` for it) whose length is
    one of `wanted`, all its other pieces `valid`; -1 if none.

    Pieces are at least 4 long, so a key spans at most 16: a pasted hex dump of thousands of
    groups costs a short walk from each, not a walk to its end.
    """
    for total in wanted:
        rest = total - first_length
        j = first
        sums = 0
        while rest > sums and j + 1 < len(lengths) and valid[j + 1] and j - first < 16:
            j += 1
            sums += lengths[j]
        if j > first and sums == rest:
            return j
    return -1


def _keys_in_pieces(text: str, group: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Spans of two or more pieces that join into a key: 64 hex the text calls a key, or a valid WIF."""
    values = [text[s:e] for s, e in group]
    lengths = [len(v) for v in values]
    hexes = [_HEX_DIGITS.fullmatch(v) for v in values]
    plain_hex = [h is not None and h.start("digits") == 0 for h in hexes]  # 0x only on the first piece
    base58 = [_BASE58_DIGITS.fullmatch(v) is not None for v in values]
    for i, h in enumerate(hexes):
        if h is not None:
            j = _joined_to(lengths, plain_hex, i, len(h.group("digits")), (64,))
            if j > i and _called_a_key(text, group[i][0], group[j][1]):
                yield group[i][0], group[j][1]
        if base58[i] and values[i][0] in "5KL9c":
            j = _joined_to(lengths, base58, i, lengths[i], (51, 52))
            if j > i and wif_valid("".join(values[i : j + 1])):
                yield group[i][0], group[j][1]


def _key_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    if len(text) < _LONG_RUN:
        return spans  # every key, in one piece or more, is longer: a header or a name holds none
    all_runs = list(_RUN.finditer(text))
    runs = [m.start() for m in all_runs if m.end() - m.start() >= _LONG_RUN]
    for m in _matches_at(_HEX_KEY, text, runs):
        if _called_a_key(text, m.start(), m.end()):
            spans.append(m.span())
    for m in _matches_at(_WIF, text, runs):
        if wif_valid(m.group(0)) or _called_a_key(text, m.start(), m.end()):
            spans.append(m.span())
    for m in _matches_at(_XPRV, text, runs):
        if extended_private_key_valid(m.group(0)) or _called_a_key(text, m.start(), m.end()):
            spans.append(m.span())
    for m in _matches_at(_BASE58_KEY, text, runs):
        if base58_length(m.group(0)) in (32, 64) and _called_a_key(text, m.start(), m.end()):
            spans.append(m.span())
    for m in _BYTE_ARRAY_KEY.finditer(text):
        if all(int(n) < 256 for n in re.findall(r"\d+", m.group(0))) and _called_a_key(text, m.start(), m.end()):
            spans.append(m.span())
    hex_windows, wif_windows = _piece_windows(text, all_runs)
    for pattern, shortest, windows in ((_HEX_PIECES, 64, hex_windows), (_BASE58_PIECES, 51, wif_windows)):
        for start, end in windows:
            for m in pattern.finditer(text, start, end):
                if m.end() - m.start() >= shortest:  # pieces and gaps: a key's length at least
                    spans.extend(_keys_in_pieces(text, [p.span() for p in _PIECE.finditer(text, m.start(), m.end())]))
    return spans


# -- passwords -----------------------------------------------------------------------------------

_PASSWORD_EN = re.compile(
    r"(?<![A-Za-z])(?:(?:login|log-in|account|fund|funds|trading|withdrawal|security|new|old|current|e-?mail|wallet|"
    r"app|exchange|anti-phishing)\s+)?(?P<word>password|passcode|passphrase|pass\s*word|pwd|pw|pin(?:\s*code)?|pass)"
    r"(?![A-Za-z])"
    r"(?:\s+(?:for|on|of)\s+(?:the\s+|my\s+)?\w+)?"
    r"(?P<link>\s*(?:is|was|=|:|：|-)\s*(?:still\s+|now\s+|just\s+)?|\s+(?:is|was)\s+set\s+to\s+|\s+)",
    re.I,
)
_PASSWORD_ZH = re.compile(
    r"(?:登录|登錄|资金|資金|交易|支付|提现|提現|提币|提幣|邮箱|郵箱|钱包|錢包|解锁|解鎖|旧|舊|新|原|账户|帳戶|账号|帳號)?"
    r"(?:密码|密碼|口令)"
    r"(?P<link>\s*(?:是|为|為|:|：|=|就是|设置的是|設置的是|设的是|設的是|改成了?|改为|改為|用的是|用的|是用的|用了|"
    r"设置为|設置為|设置成|設置成|设为|設為|设成|設成)\s*|\s+)"
)
_TOKEN_VALUE = re.compile(
    r"[\"'“‘「『]?(?P<value>[\x21-\x7e]{4,64}?)[\"'”’」』]?(?=[\s，。；、！？）)\]]|$|[^\x00-\x7f])"
)
_NOT_A_PASSWORD = frozenset(
    {
        "already",
        "also",
        "always",
        "and",
        "being",
        "blocked",
        "but",
        "case",
        "changed",
        "characters",
        "correct",
        "correctly",
        "definitely",
        "different",
        "digits",
        "empty",
        "encrypted",
        "expired",
        "fine",
        "forget",
        "forgot",
        "forgotten",
        "hidden",
        "incorrect",
        "invalid",
        "just",
        "letters",
        "locked",
        "long",
        "lost",
        "missing",
        "needed",
        "never",
        "none",
        "not",
        "now",
        "null",
        "numbers",
        "ok",
        "okay",
        "protected",
        "remember",
        "required",
        "reset",
        "right",
        "safe",
        "same",
        "secure",
        "sensitive",
        "short",
        "still",
        "strong",
        "the",
        "too",
        "unknown",
        "very",
        "weak",
        "working",
        "wrong",
    }
)


_JUDGEMENTS = frozenset({"correct", "right", "sure", "wrong", "incorrect", "certain", "accurate"})


_LINK_OR_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)|^[\w.+-]+@[\w-]+\.[\w.-]+>?$", re.I)


def _looks_like_password(value: str, explicit: bool) -> bool:
    if value.casefold().strip(".,!?") in _NOT_A_PASSWORD or len(set(value)) < 3:
        return False
    if _LINK_OR_ADDRESS.search(value):
        return False  # "reset your password: https://…" points somewhere, it is not one
    digits = any(c.isdigit() for c in value)
    symbols = any(not c.isalnum() for c in value)
    mixed = any(c.isupper() for c in value) and any(c.islower() for c in value)
    if digits or symbols or mixed:
        return True
    return explicit and len(value) >= 6  # "Password: sunshine" is labelled, so it is one


# Where a password word can start ("pass", "pw", "pin"; "密码", "口令"), or "credentials": the
# patterns are tried only near these, since scanning a whole text with them cost 0.5 ms. One
# character class first, so that `re` skips to it in C (an alternation of two was 3x slower).
_PASSWORD_EN_CORE = re.compile(r"[cCpP](?:(?<=[pP])(?:[aA][sS][sS]|[wW]|[iI][nN])|(?<=[cC])[rR][eE][dD])")
_PASSWORD_ZH_CORE = re.compile(r"密码|密碼|口令")
_PASSWORD_PREFIX_MAX = 16  # the longest word before the English password word: "anti-phishing "


def _en_starts(text: str, core: int) -> range | tuple[int, ...]:
    """Where an English match with its password word at `core` can start: there, or at a
    prefix word ("login", "anti-phishing") before the spaces in front of it."""
    space = core
    while space > 0 and text[space - 1].isspace():
        space -= 1
    return (core,) if space == core else (*range(max(0, space - _PASSWORD_PREFIX_MAX), space), core)


def _matches_at(pattern: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """What `pattern.finditer(text)` gives, when every match starts at one of `starts`.

    Tried in order and never inside a match already found, as finditer does.
    """
    last_end = 0
    for start in sorted(set(starts)):
        if start < last_end:
            continue
        m = pattern.match(text, start)
        if m:
            last_end = m.end()
            yield m


def _password_matches(text: str, english_words: list[int], chinese_words: list[int]) -> Iterator[re.Match[str]]:
    """The labelled passwords' patterns, tried where a password word is (`english_words`, `chinese_words`)."""
    yield from _matches_at(_PASSWORD_EN, text, (p for at in english_words for p in _en_starts(text, at)))
    # Chinese: at most two characters (登录, 资金, 新) stand before the password word.
    yield from _matches_at(_PASSWORD_ZH, text, (p for at in chinese_words for p in range(max(0, at - 2), at + 1)))


# A login named just before the password word makes its value a labelled one: "login alice
# pass Xy9!pq", "my login is bob and the password Qw3rty99".
_LOGIN_BEFORE = re.compile(
    r"(?<![A-Za-z])(?:user\s*name|user|login|log-in|account|e-?mail|id|uid)\s*(?:is\s+|[:：=]\s*)?"
    r"[^\s,;|/]{2,64}[\s,;|/]+(?:and\s+)?(?:(?:the|my)\s+)?\Z",
    re.I,
)
_PASSWORD_WORD = re.compile(
    r"(?<![A-Za-z])(?:password|passcode|passphrase|pass\s*word|pwd|pw|pin(?:\s*code)?|pass)(?![A-Za-z])", re.I
)
# A value named before the password word: "I use Hunter2024! as my password", "Qw3rty99 is my login pin".
_VALUE_BEFORE = re.compile(
    r"(?<![\x21-\x7e])[\"'“‘「『]?(?P<value>[\x21-\x7e]{4,64}?)[\"'”’」』]?\s+(?:as|for|is|was)\s+"
    r"(?:my|the|our)\s+(?:[A-Za-z-]+\s+)?\Z",
    re.I,
)
_OWNERS = frozenset({"my", "the", "our"})
_QUOTES = "\"'“”‘’「」『』"
_NAMED_AS = frozenset({"as", "for", "is", "was"})
# A login and its password given together: "credentials: user alice / Xy9!pq", "账号密码：alice / abc12345".
_CREDENTIALS_EN = re.compile(r"(?<![A-Za-z])(?:credentials?|creds)(?![A-Za-z])", re.I)
_CREDENTIALS_ZH = frozenset({"账号", "帐号", "账户", "帳號", "帳戶", "賬號", "賬戶"})  # before 密码
_CREDENTIALS = re.compile(
    r"\s*(?:are|is|were|was)?\s*[:：=\-]?\s*(?:(?:user\s*name|user|login|id|account|e-?mail|账号|帐号|用户名)\s*[:：=]?\s*)?"
    r"[^\s/|,;，、／]{2,64}\s*[/|,;，、／]\s*(?:(?:password|pass|pwd|pw|密码|密碼)\s*[:：=]?\s*)?",
    re.I,
)
# Before "pass", these make it a verb: "my account cannot pass KYC".
_VERB_MARKERS = frozenset(
    {"can", "cannot", "can't", "cant", "could", "couldn't", "not", "did", "didn't", "does", "doesn't", "don't", "do",
     "will", "won't", "would", "should", "must", "may", "might", "never", "to", "still", "fail", "fails", "failed"}
)  # fmt: skip
_NEXT_WORD = re.compile(r"[ \t]+([A-Za-z]+)")
_CLAUSE_GOES_ON = frozenset({"and", "but", "or"})


def _ends_its_clause(text: str, end: int) -> bool:
    """No other word follows on the line, save "and", "or", "but": "Password: forgot it" goes on."""
    nxt = _NEXT_WORD.match(text, end)
    return nxt is None or nxt.group(1).casefold() in _CLAUSE_GOES_ON


def _a_verb(text: str, at: int) -> bool:
    """The word before `at` makes the word at `at` a verb ("cannot pass")."""
    before = text[max(0, at - 12) : at].split()
    return bool(before) and before[-1].casefold().replace("’", "'") in _VERB_MARKERS


def _strong(value: str) -> bool:
    """Digits, a symbol, or a capital inside: not a word of the sentence ("What is my password?")."""
    core = value.rstrip(".,;:!?")
    return any(c.isdigit() or not c.isalnum() for c in core) or any(c.isupper() for c in core[1:])


def _password_value(text: str, at: int, explicit: bool, *, need_digit: bool = False) -> tuple[int, int] | None:
    """The span of the password written at `at`, if what is there looks like one."""
    v = _TOKEN_VALUE.match(text, at)
    if v is None or text.startswith(_PLACEHOLDER_START, v.start()):
        return None  # nothing, or already redacted: "my password is [REDACTED PASSWORD]"
    value = v.group("value").rstrip(".,;:")
    if need_digit and not any(c.isdigit() for c in value):
        return None  # "password reset" — no link word and nothing password-like
    after = text[v.end() : v.end() + 12].strip().split(" ")[0].casefold().strip(".,!")
    if after in _JUDGEMENTS:
        return None  # "my password is 100% correct"
    end = v.start("value") + len(value)
    if value.isalpha() and not _ends_its_clause(text, end):
        return None  # a word a sentence goes on from: "Password: forgot it"
    if not _looks_like_password(value, explicit):
        return None
    return v.start("value"), end


def _value_before(text: str, at: int) -> tuple[int, int] | None:
    """The password named before the password word at `at`: "I use Hunter2024! as my password"."""
    # A cheap look at the last words first: "we never ask for your password" is in every
    # acknowledgement quoted back.
    words = text[max(0, at - 40) : at].split()
    owner = next((i for i in (len(words) - 1, len(words) - 2) if i >= 2 and words[i].casefold() in _OWNERS), None)
    if owner is None or words[owner - 1].casefold() not in _NAMED_AS or not _strong(words[owner - 2].strip(_QUOTES)):
        return None  # not "… X as my [login] password"
    v = _VALUE_BEFORE.search(text, max(0, at - 100), at)
    if v is None or not _strong(v.group("value")) or not _looks_like_password(v.group("value"), False):
        return None
    if text.endswith(_PLACEHOLDERS, 0, v.end("value")):
        return None  # already redacted: "I use [REDACTED PASSWORD] as my password"
    return v.span("value")


def _password_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    english = [m.start() for m in _PASSWORD_EN_CORE.finditer(text)]
    chinese = [m.start() for m in _PASSWORD_ZH_CORE.finditer(text)]
    if not english and not chinese:
        return spans
    words = [at for at in english if text[at] in "pP"]
    for m in _password_matches(text, words, chinese):
        link = m.group("link")
        # "Password: sunshine" labels a value; "password was denied" describes one.
        explicit = bool(re.search(r"[:：=]|[^\x00-\x7f]", link))
        if not explicit and _LOGIN_BEFORE.search(text, max(0, m.start() - 100), m.start()):
            explicit = True  # "login alice pass Xy9!pq": a login, then its password
        if (m.groupdict().get("word") or "").casefold() == "pass" and (not explicit or _a_verb(text, m.start())):
            continue  # unlabelled, or after "cannot", "to" …, "pass" is a verb: "I cannot pass 2FA"
        span = _password_value(text, m.end(), explicit, need_digit=not link.strip() and not explicit)
        if span:
            spans.append(span)
    for at in words:
        if _PASSWORD_WORD.match(text, at):
            span = _value_before(text, at)
            if span:
                spans.append(span)
    credentials = [cue.end() for at in english if text[at] in "cC" and (cue := _CREDENTIALS_EN.match(text, at))]
    credentials += [at + 2 for at in chinese if text[max(0, at - 2) : at] in _CREDENTIALS_ZH]
    for at in credentials:
        c = _CREDENTIALS.match(text, at)
        if c:
            span = _password_value(text, c.end(), True)
            if span:
                spans.append(span)
    return spans


# -- 2FA backup codes and authenticator keys -----------------------------------------------------

BACKUP_CUES = (
    "backup code", "backup codes", "recovery code", "recovery codes", "emergency code", "emergency codes",
    "scratch code", "scratch codes", "2fa backup", "2fa recovery", "setup key", "set-up key", "secret key",
    "authenticator key", "2fa key", "2fa secret", "totp secret", "google authenticator key", "16-digit key",
    "备用码", "備用碼", "恢复码", "恢復碼", "备份码", "備份碼", "备份密钥", "備份密鑰", "救援码", "紧急码", "紧急代码",
    "恢复代码", "备用验证码", "谷歌密钥", "谷歌验证器密钥", "谷歌验证器的密钥", "谷歌驗證器的密鑰", "验证器密钥",
    "验证器的密钥", "2fa密钥", "二次验证密钥", "两步验证备用码",
    "authenticator secret", "authenticator seed", "google authenticator secret", "2fa seed", "2fa secret key",
    "totp key", "totp seed",
    # 秘钥 is a common misspelling of 密钥.
    "谷歌秘钥", "谷歌验证密钥", "谷歌验证秘钥", "谷歌验证器秘钥", "谷歌验证器的秘钥", "身份验证器密钥",
    "身份验证器秘钥", "验证器秘钥", "2fa秘钥", "二次验证秘钥",
)  # fmt: skip
_BACKUP_CUE = cue_pattern(BACKUP_CUES)
# An authenticator's setup link (the QR code's text), or Google Authenticator's export of
# all its accounts: the whole link is the secret. Also percent-encoded, inside a QR image link.
# Lower-case as every authenticator writes it: a literal start that `re` finds in C.
_OTPAUTH = re.compile(
    r"otpauth(?i:(?:-migration)?(?::|%3A)(?://|%2F%2F)[^\s<>\"'）)\]]*?(?:[?&]|%3F|%26)(?:secret|data)(?:=|%3D)"
    r"[^\s<>\"'）)\]&]+[^\s<>\"'）)\]]*)"
)
_CODE = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"[A-Za-z2-7]{4}(?: [A-Za-z2-7]{4}){3,15}"  # setup key in groups of four
    r"|[A-Za-z0-9]{4,5}-[A-Za-z0-9]{4,5}"  # k7q2-m9xp
    r"|\d{4} \d{4}"  # 0687 9575
    r"|[A-Z2-7]{16,64}|[a-z2-7]{16,64}"  # setup key in one piece
    r"|[A-Za-z0-9]{8,10}"  # 8-10 character codes
    r")(?![0-9A-Za-z])"
)
_SENTENCE_STOP = re.compile(r"[.!?](?:\s|$)|[。！？；]|\band\b|和")
_LEADS_TO_LIST = re.compile(r"^.{0,40}(?:[:：]|如下|below|follows?)\s*$", re.I)
_LINE_NOISE = re.compile(r"[\s\d.)、:：,，;；*•\-–—>#]*")
_ACCOUNT_CUE = re.compile(
    r"(?:UID|用户ID|用戶ID|ID|account|账户|账号|phone|手机|电话)\s*(?:is|是|为|[:：#])?\s*$", re.I
)


def _is_code(value: str) -> bool:
    compact = value.replace(" ", "").replace("-", "")
    if compact.isdigit():
        return len(compact) >= 8 and len(set(compact)) > 2
    if len(compact) >= 16 and not any(c.isdigit() for c in compact):
        # A base32 setup key without digits is rare but upper-case; lower-case words are prose.
        return compact.isupper()
    if "-" in value:
        return True  # xxxx-xxxx, the usual layout of backup codes
    return not compact.isalpha()  # a plain word is not a code


def _code_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _OTPAUTH.finditer(text)] if "otpauth" in text else []
    for cue in _BACKUP_CUE.finditer(text):
        line_end = text.find("\n", cue.end())
        line_end = len(text) if line_end < 0 else line_end
        # On the cue's own line: codes up to the end of the sentence.
        rest = text[cue.end() : min(line_end, cue.end() + 160)]
        stop = _SENTENCE_STOP.search(rest)
        limit = cue.end() + (stop.start() if stop else len(rest))
        found = [m for m in _CODE.finditer(text, cue.end(), limit) if _is_code(m.group(0))]
        # Then the lines below that hold nothing but codes (and numbering), when the cue's
        # line leads into them ("backup codes I saved:", "备用码如下：").
        leads = _LEADS_TO_LIST.search(_CODE.sub(" ", text[cue.end() : line_end])) is not None
        pos, blank_allowed = (line_end + 1, 1) if leads else (len(text), 0)
        while pos < len(text):
            nxt = text.find("\n", pos)
            nxt = len(text) if nxt < 0 else nxt
            line = text[pos:nxt]
            if not line.strip():
                if found or blank_allowed == 0:
                    break
                blank_allowed -= 1
                pos = nxt + 1
                continue
            codes = [m for m in _CODE.finditer(text, pos, nxt) if _is_code(m.group(0))]
            leftover = _CODE.sub(" ", line)
            if not codes or _LINE_NOISE.fullmatch(leftover) is None:
                break
            found.extend(codes)
            pos = nxt + 1
        for m in found:
            if not _ACCOUNT_CUE.search(text[max(0, m.start() - 12) : m.start()]):
                spans.append(m.span())
    return spans


# -- putting it together -------------------------------------------------------------------------


def _merge(found: Iterable[tuple[str, int, int]]) -> tuple[Secret, ...]:
    merged: list[Secret] = []
    for kind, start, end in sorted(found, key=lambda f: (f[1], -f[2])):
        if merged and start < merged[-1].end:
            last = merged[-1]
            better = kind if _PRIORITY[kind] < _PRIORITY[last.kind] else last.kind
            merged[-1] = Secret(better, last.start, max(last.end, end), last.field)
        else:
            merged.append(Secret(kind, start, end))
    return tuple(merged)


def _repeats(text: str, secrets: tuple[Secret, ...]) -> list[tuple[str, int, int]]:
    """Other places where the same secret is written (e.g. repeated, or quoted back)."""
    extra: list[tuple[str, int, int]] = []
    known = {(s.start, s.end) for s in secrets}
    values: dict[str, str] = {}
    for secret in secrets:
        values.setdefault(text[secret.start : secret.end], secret.kind)
    for value, kind in values.items():
        if len(value) < 6:
            continue
        for m in re.finditer(re.escape(value), text):
            if m.span() not in known:
                extra.append((kind, m.start(), m.end()))
    return extra


def find_secrets(text: str) -> tuple[Secret, ...]:
    """Every secret in `text`, merged where they overlap, in order; positions in `text`."""
    found: list[tuple[str, int, int]] = []
    for kind, spans in (
        ("private_key", _key_spans(text)),
        ("seed_phrase", _seed_spans(text)),
        ("backup_code", _code_spans(text)),
        ("password", _password_spans(text)),
    ):
        found.extend((kind, start, end) for start, end in spans)
    secrets = _merge(found)
    return _merge([*((s.kind, s.start, s.end) for s in secrets), *_repeats(text, secrets)])


def redact(
    text: str, field: str = "text", found: dict[str, tuple[Secret, ...]] | None = None
) -> tuple[str, tuple[Secret, ...]]:
    """`text` with every secret replaced by a marker, and the secrets (kind and position only).

    `found`: the secrets of texts already scanned for this mail, by text (a mail without
    quoted history has the same text and new text; the subject is also a header).
    """
    if found is None:
        in_text = find_secrets(text)
    elif text in found:
        in_text = found[text]
    else:
        in_text = found[text] = find_secrets(text)
    secrets = tuple(replace(s, field=field) for s in in_text)
    if not secrets:
        return text, ()
    parts: list[str] = []
    pos = 0
    for secret in secrets:
        parts.append(text[pos : secret.start])
        parts.append(PLACEHOLDER[secret.kind])
        pos = secret.end
    parts.append(text[pos:])
    return "".join(parts), secrets


_STRUCTURAL_HEADERS = frozenset(
    {"message-id", "in-reply-to", "references", "received", "date", "dkim-signature", "authentication-results",
     "return-path", "mime-version", "auto-submitted", "precedence", "x-auto-response-suppress"}
)  # fmt: skip


def redact_mail(mail: ParsedEmail) -> tuple[ParsedEmail, tuple[Secret, ...]]:
    """The mail with secrets removed from subject, body, new text, headers, display name and text attachments.

    Returns the redacted mail (its `secrets` hold what was found) and the secrets found
    now. A mail already redacted is returned as it is, at no cost: the scan is the most
    expensive step of deciding about a mail, and the pipeline redacts right after
    parsing. Positions refer to the field named in `Secret.field` of the mail as given.
    """
    if mail.redacted:
        return mail, ()
    seen: dict[str, tuple[Secret, ...]] = {}
    subject, in_subject = redact(mail.subject, "subject", seen)
    text, in_text = redact(mail.text, "text", seen)
    new_text, in_new = redact(mail.new_text, "new_text", seen)
    # The new text is part of the text: a secret found in the whole text is removed from
    # the new text too, even where the new text alone would not show it as one.
    for secret in in_text:
        value = mail.text[secret.start : secret.end]
        for piece in (value, *value.splitlines()):
            if len(piece.strip()) >= 6 and piece in new_text:
                new_text = new_text.replace(piece, PLACEHOLDER[secret.kind])
    sender_name, in_name = redact(mail.sender_name, "sender_name", seen)
    headers: dict[str, str] = {}
    in_headers: list[Secret] = []
    for name, value in mail.headers.items():
        if name in _STRUCTURAL_HEADERS or name.startswith(("arc-", "list-", "content-")):
            headers[name] = value  # identifiers and routing, never typed by the customer
            continue
        headers[name], found_here = redact(value, f"header:{name}", seen)
        if name not in ("subject", "thread-topic"):  # the subject is reported once, above
            in_headers.extend(found_here)
    # A seed phrase saved as "wallet.txt" is as much an incident as one in the body.
    attachment_text: list[str] = []
    in_attachments: list[Secret] = []
    for index, value in enumerate(mail.attachment_text):
        redacted_value, found_here = redact(value, f"attachment:{index}", seen) if value else (value, ())
        attachment_text.append(redacted_value)
        in_attachments.extend(found_here)
    # The new text is a part of the text: its findings are new only when the text had none.
    found = in_subject + in_text + (() if in_text else in_new) + in_name + tuple(in_headers) + tuple(in_attachments)
    if not found:
        return replace(mail, redacted=True), ()
    redacted = replace(
        mail,
        subject=subject,
        text=text,
        new_text=new_text,
        sender_name=sender_name,
        headers=headers,
        attachment_text=tuple(attachment_text),
        secrets=mail.secrets + found,
        redacted=True,
    )
    return redacted, found


def secret_kinds(secrets: Iterable[Secret]) -> tuple[str, ...]:
    """The distinct kinds, in a stable order (for templates, logs and JSON)."""
    present = {s.kind for s in secrets}
    return tuple(kind for kind in KINDS if kind in present)
