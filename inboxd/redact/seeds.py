"""Seed phrases: runs of BIP39 words, after a cue word or long enough to be one.

Runs of words from any wordlist the `mnemonic` package ships (English, Chinese simplified
and traditional, Japanese, Korean, Spanish, French, Italian, Portuguese, Czech, Russian,
Turkish), 12–24 words, tolerant of numbering, commas, line breaks, quote markers,
underscores and zero-width characters; Chinese words written without separators count
after a cue word (助记词) and are pinned by the BIP39 checksum. Ordinary prose uses many
BIP39 words, so a run must be long; a short or prose-like run needs the checksum or a cue
word. The words themselves (tokens, wordlists, checksum) are `inboxd.redact.words`.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from collections.abc import Callable, Iterator

from inboxd.extract.context import cue_pattern
from inboxd.redact.common import cue_heads, cues_found
from inboxd.redact.words import (
    HAN,
    PHRASE_LENGTHS,
    Lexicon,
    Token,
    are_separated,
    checksum_ok,
    tokens_around,
    word_marks,
    word_starts,
    wordlists,
)

SEED_CUES = (
    "seed phrase", "seed words", "seed", "recovery phrase", "recovery words", "secret recovery phrase", "mnemonic",
    "mnemonic phrase", "backup phrase", "wallet words", "12 words", "24 words", "the words", "these words",
    "助记词", "助記詞", "助记", "记忆词", "恢复词", "恢復詞", "种子词", "種子詞", "钱包单词", "单词", "密语",
)  # fmt: skip
_SEED_CUE = cue_pattern(SEED_CUES)
# Chinese written without separators is a phrase only right after one of these.
_CHINESE_SEED_CUES = (
    "助记词",
    "助記詞",
    "记忆词",
    "記憶詞",
    "恢复词",
    "恢復詞",
    "种子词",
    "種子詞",
    "mnemonic",
    "mnemonic phrase",
    "seed phrase",
    "recovery phrase",
)
_CHINESE_SEED_CUE = cue_pattern(_CHINESE_SEED_CUES)
_CUE_REACH = max(map(len, _CHINESE_SEED_CUES)) + 12  # a cue and its lead-in (是：「) before a phrase
_CHINESE_SEED_CUE_HEADS = cue_heads(_CHINESE_SEED_CUES)
_CUE_TO_PHRASE = re.compile(r"\s*(?:is|are|是|为|為|如下|:|：|是：|为：)?\s*[:：]?\s*[\"'“「『]?")
_MIN_WORDS = 12  # without a cue word or a checksum
_MIN_WORDS_WITH_CUE = 8  # a partial phrase after "my seed phrase is" is still a secret
_MAX_UNKNOWN = 2  # mistyped words tolerated inside a phrase that follows a cue word
_CJK_RUN = re.compile(f"{HAN}{{{_MIN_WORDS},}}")


def _valid_window(lexicon: Lexicon, bit: int, run: list[Token]) -> tuple[int, int] | None:
    """The longest, earliest window of the run that is a checksum-valid phrase (token indexes)."""
    words = [t.word for t in run]
    for length in PHRASE_LENGTHS:
        for first in range(0, len(words) - length + 1):
            if checksum_ok(lexicon, bit, words[first : first + length]):
                return first, first + length
    return None


def _cue_before(text: str, start: int, reach: int) -> re.Match[str] | None:
    last = None
    for m in _SEED_CUE.finditer(text, max(0, start - reach), start + 1):
        last = m
    return last


def _runs(tokens: list[Token], masks: list[int], joined: Callable[[int], bool]) -> Iterator[tuple[int, list[Token]]]:
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


def _prose_like(text: str, run: list[Token]) -> bool:
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


def _is_phrase(text: str, run: list[Token], bit: int, lexicon: Lexicon) -> bool:
    """A run of separated words of one wordlist that is a seed phrase."""
    cjk = bool(lexicon.cjk & (1 << bit))
    if cjk and not all(t.cjk for t in run):
        return False
    cue = _cue_before(text, run[0].start, 300) is not None
    if len(run) < _MIN_WORDS:
        return cue
    # Cheapest evidence first; a phrase starts near a run's start (checksums of the first 48).
    return cjk or cue or _valid_window(lexicon, bit, run[:48]) is not None or not _prose_like(text, run)


def _dense(marks: bytearray) -> bool:
    """Some `_MIN_WORDS` words in a row hold all but `_MAX_UNKNOWN` wordlist words (or the
    text has fewer words, and that many wordlist words in all)."""
    need = _MIN_WORDS - _MAX_UNKNOWN
    if len(marks) <= _MIN_WORDS or marks.count(1) < need:
        return sum(marks) >= need
    # The sums of every `_MIN_WORDS` words in a row, from running totals: in C, where a loop
    # over the words was a tenth of the whole scan.
    totals = list(itertools.accumulate(marks, initial=0))
    most: int = max(map(operator.sub, totals[_MIN_WORDS:], totals))
    return most >= need


_MARKED_RUN = re.compile(rb"\x01{%d,}" % _MIN_WORDS_WITH_CUE)


def _typos_possible(cue: re.Match[str], starts: list[int], marks: bytearray) -> bool:
    """False when the words after a cue cannot hold a phrase with typos.

    Such a phrase is at least `_MIN_WORDS` words in a row, all but `_MAX_UNKNOWN` of
    them wordlist words, among the 40 words that start within 400 characters of the
    cue's end (here: within 440, which errs towards "possible"). `starts` and `marks` are
    `word_starts` and `word_marks` of the whole text, computed once for all its cues.
    """
    first = bisect.bisect_left(starts, cue.end())
    last = min(bisect.bisect_left(starts, cue.end() + 440, first), first + 40)
    return _dense(marks[first:last])


def _chinese_phrase_possible(text: str, cue: re.Match[str]) -> bool:
    """Chinese without separators is a phrase only when 12 characters follow the cue's lead-in."""
    lead = _CUE_TO_PHRASE.match(text, cue.end())
    return _CJK_RUN.match(text, lead.end() if lead else cue.end()) is not None


def seed_spans(text: str) -> list[tuple[int, int]]:
    lexicon = wordlists()
    forms = lexicon.forms
    spans: list[tuple[int, int]] = []
    # Words are read only where a phrase can be: the whole text when it may hold a long
    # enough run, otherwise just around the cue words that may lead into one (quoted
    # acknowledgements hold "seed phrase" in their safety notice: cues alone are common).
    found = cues_found(_CHINESE_SEED_CUE, _CHINESE_SEED_CUE_HEADS, text) if lexicon.cjk else []
    chinese_cues = [c for c in found if _chinese_phrase_possible(text, c)]
    marks = word_marks(text, forms, lexicon.ascii_forms)
    starts: list[int] = []
    typo_cues: list[re.Match[str]] = []
    # The words after a cue are looked at only when some words of the text are dense enough
    # for a phrase with typos: a quoted acknowledgement puts "seed phrase" (a cue) in most
    # long threads, and reading where every word starts cost more than the rest of the scan.
    if _dense(marks):
        starts = word_starts(text)
        typo_cues = [c for c in _SEED_CUE.finditer(text) if _typos_possible(c, starts, marks)]
    windows = [(c.start() - 13, c.end() + 400) for c in chinese_cues]
    windows += [(c.end(), c.end() + 400) for c in typo_cues]
    # A run of `_MIN_WORDS_WITH_CUE` phrase words lies inside as many marked words in a row
    # (a word's tokens are its Chinese characters, or itself): tokens are read only there,
    # since reading a long Chinese thread whole cost milliseconds. Runs read this way are
    # the runs of the whole text: a token left out between two windows is a letter in the
    # gap, which no phrase's separator holds.
    marked_runs = [m.span() for m in _MARKED_RUN.finditer(marks)]
    if marked_runs:
        starts = starts or word_starts(text)
        windows += [(starts[first], starts[end - 1] + 1) for first, end in marked_runs]
    if not windows:
        return spans
    tokens = tokens_around(text, windows)
    if marked_runs:
        # 你 in 你们 is one word of Chinese prose, not a separated phrase word.
        masks = [0 if t.glued else forms.get(t.word, 0) for t in tokens]

        def separated(i: int) -> bool:
            return are_separated(text, tokens[i - 1], tokens[i])

        for bit, run in _runs(tokens, masks, separated):
            if _is_phrase(text, run, bit, lexicon):
                spans.append((run[0].start, run[-1].end))
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


def _adjacent_phrase(text: str, run: list[Token], bit: int, lexicon: Lexicon) -> tuple[int, int] | None:
    """Chinese words without separators: right after a cue word (助记词是：…).

    Chinese prose is made of the same common characters, so the run must start where
    the cue's sentence leads into it; the BIP39 checksum then pins the phrase, and a
    mistyped one (no valid checksum) is removed up to 24 characters.
    """
    # The cue may start further back than 12 characters ("recovery phrase：" is 16): look back
    # as far as the longest cue and its lead-in, and take the cue whose lead-in ends on a word
    # of the run.
    starts = {t.start for t in run}
    phrase_start = -1
    for m in _CHINESE_SEED_CUE.finditer(text, max(0, run[0].start - _CUE_REACH), run[-1].end):
        lead = _CUE_TO_PHRASE.match(text, m.end())
        at = lead.end() if lead else m.end()
        if at in starts:
            phrase_start = at
            break
    if phrase_start < 0:
        return None
    body = [t for t in run if t.start >= phrase_start]
    if len(body) < _MIN_WORDS:
        return None
    for length in PHRASE_LENGTHS:  # the phrase starts right after the cue
        if len(body) >= length and checksum_ok(lexicon, bit, [t.word for t in body[:length]]):
            return body[0].start, body[length - 1].end
    return body[0].start, body[min(len(body), 24) - 1].end


def _cue_phrases_with_typos(
    text: str, tokens: list[Token], cues: list[re.Match[str]], lexicon: Lexicon
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
            run: list[Token] = []
            unknown = 0
            for token in [*following, None]:
                known = token is not None and bool(lexicon.forms.get(token.word, 0) & mask)
                typo = token is not None and not known and 3 <= len(token.word) <= 8 and unknown < _MAX_UNKNOWN
                joined = token is not None and bool(run) and are_separated(text, run[-1], token)
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
