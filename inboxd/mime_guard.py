"""The raw bytes and the MIME tree before any body is read: hostile-input limits and repairs.

- Limits (`[limits]`, as ParseLimits): MIME depth and part count, header count and size,
  and a wall-clock budget. Boundary nesting and delimiter count are checked on the raw
  bytes before the stdlib parser runs, because its cost grows with lines x nesting
  depth; the rest is checked on the tree before any body is decoded. A message over a
  limit raises MessageError and is quarantined.
- Labels gb2312/gbk/cp936/euc-cn (and the other spellings inboxd.charset knows) are
  relabelled GB18030 and big5 big5hkscs in the raw bytes, for the headers mail-parser
  decodes itself (addresses, attachment names).
- Obsolete header syntax (RFC 5322 4.5: white space before the colon) is repaired so
  such messages still have headers, and a top-level multipart whose body uses other
  delimiters than its declared boundary is re-read with them.
"""

from __future__ import annotations

import email.message
import re
import time
from collections.abc import Callable

from inboxd.charset import RAW_RELABELS
from inboxd.errors import MessageError
from inboxd.values import ParseLimits

_CHARSET_ALIASES = {k.encode(): v.encode() for k, v in RAW_RELABELS.items()}
_LABELS = b"|".join(re.escape(k) for k in sorted(_CHARSET_ALIASES, key=len, reverse=True))
# These three are matched in a lower-cased copy of the bytes (see _sub_lowered), as re.I would.
_CHARSET_PARAM = re.compile(rb'(charset\s*=\s*"?)(' + _LABELS + rb')(?=["\s;]|$)', re.M)
_ENCODED_WORD = re.compile(rb"(=\?)(" + _LABELS + rb")(\*[a-z-]*)?(\?[bq]\?)")
_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;"]+))')
# RFC 5322 4.5.3 obsolete syntax: "Subject   : hello".
_OBS_FIELD_NAME = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.M)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# A line starting "--", with the "\n" before it: led by a literal, found by the regex engine's
# fast search, where "^--" with re.M is tried at every byte (prescan_boundaries puts a "\n"
# before the first line).
_DASH_LINE = re.compile(rb"\n--([^\r\n]*)")
_DELIMITER = re.compile(r"^--([^\r\n]{1,70}?)[ \t]*\r?$", re.M)
_TOP_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"[^"]*"|[^\s;"]+)', re.I)
# The stdlib parser's cost is lines x enclosing multiparts; 10 million such tests take
# about 2 s here, and a real 25 MiB mail with an attachment three levels deep needs ~1 million.
_MAX_BOUNDARY_CHECKS = 10_000_000


class Budget:
    """The wall-clock budget of one parse, checked between its stages."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()

    def check(self, stage: str) -> None:
        spent = time.monotonic() - self.started
        if spent > self.seconds:
            raise MessageError(
                f"parsing took {spent:.1f} s ({stage}), over limits.max_parse_seconds ({self.seconds:g})"
            )


def _span(raw: bytes, m: re.Match[bytes], group: int) -> bytes:
    """Group `group` of a match found in `raw.lower()`, as written in `raw`."""
    return raw[m.start(group) : m.end(group)]


def _sub_lowered(
    raw: bytes,
    pattern: re.Pattern[bytes],
    replace: Callable[[bytes, re.Match[bytes]], bytes],
    lowered: bytes | None = None,
) -> bytes:
    """`pattern.sub` over `raw` as if `pattern` were re.I, matched in `raw.lower()` (`lowered`).

    bytes.lower() changes ASCII letters only, so offsets agree; a case-sensitive pattern
    finds its literal prefix fast where re.I tries every byte. `replace(raw, match)` reads
    the groups it keeps from `raw` (`_span`). Returns `raw` itself when nothing matched.
    """
    pieces: list[bytes] = []
    pos = 0
    for m in pattern.finditer(raw.lower() if lowered is None else lowered):
        pieces.append(raw[pos : m.start()])
        pieces.append(replace(raw, m))
        pos = m.end()
    if not pieces:
        return raw
    pieces.append(raw[pos:])
    return b"".join(pieces)


def relabel(raw: bytes, lowered: bytes | None = None) -> bytes:
    """Relabel the charsets inboxd.charset reads as a superset; `lowered` is `raw.lower()` when
    the caller has it (a copy of the whole message spared)."""

    def param(source: bytes, m: re.Match[bytes]) -> bytes:
        return _span(source, m, 1) + _CHARSET_ALIASES[m.group(2)]

    def word(source: bytes, m: re.Match[bytes]) -> bytes:
        return _span(source, m, 1) + _CHARSET_ALIASES[m.group(2)] + _span(source, m, 4)

    if lowered is None:
        lowered = raw.lower()
    relabelled = _sub_lowered(raw, _CHARSET_PARAM, param, lowered)
    return _sub_lowered(relabelled, _ENCODED_WORD, word, lowered if relabelled is raw else None)


def repair_field_names(raw: bytes) -> bytes:
    """Remove white space before the colon of header fields in the top-level header block."""
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw
    fixed = _OBS_FIELD_NAME.sub(rb"\1:", head)
    return raw if fixed == head else fixed + raw[len(head) :]


def prescan_boundaries(raw: bytes, limits: ParseLimits, lowered: bytes | None = None) -> None:
    """Bound multipart nesting, delimiter count and the stdlib parser's cost on the raw bytes.

    The stdlib parser tests every line against every enclosing boundary, so a
    message of many lines inside thousands of nested multiparts costs minutes
    before the tree exists to be checked. Boundaries are matched as the parser
    matches them; a multipart whose closing delimiter is missing stays open,
    as it does for the parser. `lowered` is `raw.lower()` when the caller has it.
    """
    # Group 1 (quoted) or 2 (bare): the last that matched, read from `raw` (its case counts).
    lowered = raw.lower() if lowered is None else lowered
    declared = {_span(raw, m, m.lastindex or 0).rstrip() for m in _BOUNDARY_PARAM.finditer(lowered)}
    if not declared:
        return
    if len(declared) > limits.max_mime_parts:
        raise MessageError(f"more than {limits.max_mime_parts} MIME parts (limits.max_mime_parts)")
    open_stack: list[bytes] = []
    delimiters = checks = previous = 0
    # In `lines` a delimiter line's "\n" is at the offset its "--" has in `raw`.
    lines = b"\n" + raw
    for m in _DASH_LINE.finditer(lines):
        token = m.group(1).rstrip(b" \t")
        closing = token.endswith(b"--") and token[:-2] in declared
        name = token[:-2] if closing else token
        if name not in declared:
            continue
        checks += raw.count(b"\n", previous, m.start()) * len(open_stack)
        previous = m.start()
        delimiters += 1
        if delimiters > limits.max_mime_parts * 2:
            raise MessageError(f"more than {limits.max_mime_parts} MIME parts (limits.max_mime_parts)")
        if name in open_stack:
            del open_stack[open_stack.index(name) + (0 if closing else 1) :]
        elif not closing:
            open_stack.append(name)
            if len(open_stack) + 1 > limits.max_mime_depth:
                raise MessageError(f"MIME nesting deeper than {limits.max_mime_depth} (limits.max_mime_depth)")
    checks += raw.count(b"\n", previous) * len(open_stack)
    if checks > _MAX_BOUNDARY_CHECKS:
        raise MessageError(
            f"too costly to parse: {checks} line-against-boundary tests (more than {_MAX_BOUNDARY_CHECKS}); "
            "many lines inside deeply nested multiparts"
        )


def recover_boundary(message: email.message.Message, raw: bytes) -> bytes | None:
    """Re-declare the boundary a top-level multipart's body really uses, when it is not the declared one.

    Some senders (spam kits, broken gateways) write delimiter lines that differ
    from the boundary parameter; the whole body then reads as one unparsed blob
    of MIME headers. The first delimiter-looking line that recurs, or that is
    followed by a Content- header, is the boundary.
    """
    if message.get_content_maintype() != "multipart" or message.is_multipart():
        return None
    payload = message.get_payload()
    if not isinstance(payload, str):
        return None
    first = _DELIMITER.search(payload)
    if not first:
        return None
    token = first.group(1)
    token = token[:-2] if token.endswith("--") else token
    follows = payload[first.end() : first.end() + 200].lstrip("\r\n")
    recurs = payload.count("--" + token) >= 2 or follows.lower().startswith("content-")
    if not recurs or '"' in token or "\\" in token:
        return None
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw
    new_head, replaced = _TOP_BOUNDARY.subn(
        b'boundary="' + token.encode("ascii", "surrogateescape") + b'"', head, count=1
    )
    return new_head + raw[len(head) :] if replaced else None


def check_structure(message: email.message.Message, limits: ParseLimits) -> None:
    """Walk the MIME tree iteratively (no recursion) and enforce the limits."""
    stack: list[tuple[email.message.Message, int]] = [(message, 1)]
    parts = 0
    while stack:
        part, depth = stack.pop()
        parts += 1
        if parts > limits.max_mime_parts:
            raise MessageError(f"more than {limits.max_mime_parts} MIME parts (limits.max_mime_parts)")
        if depth > limits.max_mime_depth:
            raise MessageError(f"MIME nesting deeper than {limits.max_mime_depth} (limits.max_mime_depth)")
        fields = list(part.raw_items())
        if len(fields) > limits.max_headers:
            raise MessageError(
                f"{len(fields)} header fields in one part, over limits.max_headers ({limits.max_headers})"
            )
        size = sum(len(name) + len(str(value)) + 4 for name, value in fields)
        if size > limits.max_header_bytes:
            raise MessageError(
                f"a header block of {size} bytes, over limits.max_header_bytes ({limits.max_header_bytes})"
            )
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if isinstance(child, email.message.Message))
