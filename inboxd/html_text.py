"""HTML to readable text: the only module importing selectolax; and the HTML's link targets.

The page is parsed by lexbor (selectolax's C HTML5 parser, the tree a browser builds, in
linear time whatever the nesting or the breakage of the markup), and read back as text:
- links are kept inline with their target, `[label](target)`, or `<target>` when the
  label is the target itself, because customers paste block-explorer links whose path
  is the transaction hash; links within the page (`#...`) keep their label only;
- block elements (p, div, headings, lists, tables, ...) and `<br>` break lines; list
  items start with "* " (or their number), table cells are separated by a space and
  rows by a line break, and a blockquote's lines start with "> " (inboxd.quotes reads
  such lines as quoted history);
- images, emphasis and table drawing are dropped, and nothing is written as Markdown
  or escaped for it: the customer's words are read by people, the classifier and the
  extractors, never rendered;
- entities are decoded, white space is collapsed (except in `<pre>`), lines are trimmed
  and blank lines never come two in a row;
- what a reader never sees (head, script, style, template, comments) is never text.
`hrefs` gives the targets of a page's links, which the text does not show when a
mail has a plain-text part too ("Verify <a href=https://look-alike>here</a>").
"""

from __future__ import annotations

import html
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Elements whose content no reader sees (a <title> or <style> written inside the body stays there).
_HIDDEN = ["script", "style", "template", "iframe", "head", "title"]
# Markers put into the tree as text before it is read back in one pass: the tree's text
# never holds NUL, which the parser drops from text (tests/unit/test_html_text.py).
_PARA = "\x00p"
_LINE = "\x00n"
_BR = "\x00b"
_QUOTE_IN = "\x00q"
_QUOTE_OUT = "\x00Q"
_PRE_IN = "\x00P"
_PRE_OUT = "\x00E"
_PARAGRAPH_TAGS = (
    "p div h1 h2 h3 h4 h5 h6 hr dl table center address form fieldset header footer "
    "section article nav main aside figure details"
)
_LINE_TAGS = "ul ol tr dt dd caption figcaption summary legend"
# tag -> (text before it, text after it); "a", "li", "blockquote" and "pre" are handled apart.
_MARKS: dict[str, tuple[str, str]] = {tag: (_PARA, _PARA) for tag in _PARAGRAPH_TAGS.split()}
_MARKS.update({tag: (_LINE, _LINE) for tag in _LINE_TAGS.split()})
_MARKS.update(
    {
        "br": (_BR, ""),
        "td": (" ", ""),
        "th": (" ", ""),
        "blockquote": (_QUOTE_IN, _QUOTE_OUT),
        "pre": (_PARA + _PRE_IN, _PRE_OUT + _PARA),
        "li": (_LINE, _LINE),
        "a": ("", ""),
    }
)
_BREAKS = (_PARA, _LINE, _BR, _QUOTE_IN, _QUOTE_OUT)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# In this order one pass of each merges any run of block boundaries (a run of <br> stays).
_MERGES = (
    (_LINE + _LINE, _LINE),
    (_BR + _LINE, _LINE),
    (_LINE + _PARA, _PARA),
    (_PARA + _LINE, _PARA),
    (_BR + _PARA, _PARA),
    (_PARA + _PARA, _PARA),
)
# The parser checks the stack of open elements for most start tags, as a browser does, so its
# time grows with nesting depth squared: 10,000 levels cost 0.1 s, the 200,000 that fit in
# limits.max_html_chars a minute. Real mail nests a few dozen levels; a page that may nest
# deeper than this is read flattened.
_DEEPEST = 2_000
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
# Each stops at its end or at the page's end, so the scan is linear whatever the markup.
_INVISIBLE = re.compile(r"(?is)<(script|style|head|title|template)\b.*?(?:</\1\s*>|$)")
_BLOCK_TAG = re.compile(
    r"(?i)</?(?:"
    + "|".join(sorted({*_PARAGRAPH_TAGS.split(), *_LINE_TAGS.split(), "br", "li", "blockquote", "pre"}))
    + r")\b[^<>]*>"
)
_ANY_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_COMMENT = re.compile(r"(?s)<!--.*?(?:-->|$)")
_QUOTE_PREFIXES = 10  # "> " written per line at most, however deep the quotes nest
_PRE = re.compile(r"\x00P(.*?)(?:\x00E|$)", re.S)


def _collapse(text: str) -> str:
    """HTML white space (not U+00A0, not U+3000) collapsed to one space, and none beside a marker."""
    text = text.replace("\n", " ").replace("\t", " ").replace("\r", " ").replace("\f", " ")
    while "  " in text:  # each pass halves every run: a few passes of C, where a regex costs 3x
        text = text.replace("  ", " ")
    text = text.replace(" \x00", "\x00")
    for marker in _BREAKS:
        text = text.replace(marker + " ", marker)
    return text


def _breaks(text: str) -> str:
    """The markers as line breaks, as a browser shows them: a run of block boundaries is one
    break (a blank line if one of them is a paragraph's), a <br> ending a block adds none; lines
    trimmed, at most one blank line in a row. (str.replace in loops: a regex costs 3x here.)"""
    for pair, one in _MERGES:
        while pair in text:
            text = text.replace(pair, one)
    text = text.replace(_PARA, "\n\n").replace(_LINE, "\n").replace(_BR, "\n")
    if _QUOTE_IN in text:
        return _quoted(text.replace(_QUOTE_IN, "\n\n" + _QUOTE_IN).replace(_QUOTE_OUT, _QUOTE_OUT + "\n\n"))
    text = "\n".join([line.strip() for line in text.split("\n")])
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def _mark(node: LexborNode, tag: str, numbers: dict[int, int]) -> None:
    if tag == "a":
        href = _CONTROL.sub("", str(node.attributes.get("href") or "")).strip()
        if not href or href.startswith("#"):
            return
        if node.text().strip() == href and _SCHEME.match(href):
            node.insert_before("<")
            node.insert_after(">")
        else:
            node.insert_before("[")
            node.insert_after(f"]({href})")
        return
    before, after = _MARKS[tag]
    if tag == "li":
        parent = node.parent
        if parent is not None and parent.tag == "ol":
            key = parent.mem_id
            if key not in numbers:
                start = str(parent.attributes.get("start") or "1").strip()
                numbers[key] = int(start) - 1 if start.isdigit() and len(start) < 10 else 0
            numbers[key] += 1
            before += f"{numbers[key]}. "
        else:
            before += "* "
    node.insert_before(before)
    if after:
        node.insert_after(after)


def _quoted(text: str) -> str:
    """Trim the lines, prefix those between blockquote markers with "> " per level (at most
    _QUOTE_PREFIXES), and keep at most one blank line in a row, quoted as deep as the shallower
    text beside it."""
    out: list[str] = []
    depth = 0
    blank_depth = -1  # -1: no blank line pending
    for marked in text.split("\n"):
        opened = marked.count(_QUOTE_IN)
        closed = marked.count(_QUOTE_OUT)
        line = marked.replace(_QUOTE_IN, "").replace(_QUOTE_OUT, "").strip()
        if not line:
            shallowest = min(depth, depth + opened)
            depth = max(0, depth + opened - closed)
            shallowest = min(shallowest, depth)
            blank_depth = shallowest if blank_depth < 0 else min(blank_depth, shallowest)
            continue
        if blank_depth >= 0 and out:
            out.append(">" * min(blank_depth, _QUOTE_PREFIXES))
        blank_depth = -1
        depth += opened
        out.append(f"{'> ' * min(depth, _QUOTE_PREFIXES)}{line}")
        depth = max(0, depth - closed)
    return "\n".join(out)


def _too_deep(page: str) -> bool:
    """Whether elements may nest more than _DEEPEST levels: start tags of non-void elements
    less end tags, counted only on a page with that many tags (a few in a thousand mails)."""
    if page.count("<") <= _DEEPEST:
        return False
    depth = 0
    for m in _TAG.finditer(page):
        if m.group(1):
            depth = max(0, depth - 1)
        elif m.group(2).lower() not in _VOID:
            depth += 1
            if depth > _DEEPEST:
                return True
    return False


def _flattened(page: str) -> str:
    """The text of a page read without building its tree: what no reader sees and comments
    removed, block tags as line breaks, every other tag dropped (links too: bodies.hrefs
    reads their targets from the markup), entities decoded."""
    page = _COMMENT.sub(" ", _INVISIBLE.sub(" ", page.replace("\x00", "")))
    # html.unescape makes no NUL (&#0; is U+FFFD), so the markers are the only ones.
    return _breaks(_collapse(html.unescape(_ANY_TAG.sub("", _BLOCK_TAG.sub(_LINE, page)))))


def html_to_text(page: str) -> str:
    if _too_deep(page):
        return _flattened(page)
    # Lone surrogates (undecodable bytes kept by the stdlib) cannot reach the C parser.
    tree = LexborHTMLParser(page.encode("utf-8", "replace"))
    body = tree.body
    if body is None:  # a frameset: no text
        return ""
    tree.strip_tags(_HIDDEN)
    numbers: dict[int, int] = {}
    # Marking as the walk goes: it reads a node's links after yielding it, and the text put
    # after a node is a sibling it skips (a list of all nodes would cost ~150 bytes a node).
    for node in body.traverse():
        tag = node.tag
        if tag in _MARKS:
            _mark(node, tag, numbers)
    text = body.text()
    if _PRE_IN not in text:
        return _breaks(_collapse(text))
    # Preformatted text keeps its white space (a bad page's unclosed <pre> runs to the end).
    pieces: list[str] = []
    pos = 0
    for m in _PRE.finditer(text):
        pieces.append(_collapse(text[pos : m.start()]))
        pieces.append(m.group(1).replace("\r\n", "\n").replace("\t", "    "))
        pos = m.end()
    pieces.append(_collapse(text[pos:]))
    return _breaks("".join(pieces).replace(_PRE_IN, "").replace(_PRE_OUT, ""))


# An href attribute: after white space or '/', as browsers read it; each alternative stops at
# its own delimiter, so the scan is linear whatever the markup.
_HREF = re.compile(r"""(?i)[\s/]href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`=]+))""")
MAX_HREF_CHARS = 2048


def hrefs(page: str, limit: int) -> list[str]:
    """The first `limit` href values of `page`, entity-decoded, each cut at MAX_HREF_CHARS."""
    found: list[str] = []
    # Most pages have no link: a copy lowered and one literal search, where the pattern (re.I,
    # led by a class) is tried at every character. Only ASCII letters fold to h, r, e or f.
    if "href" not in page.lower():
        return found
    for match in _HREF.finditer(page):
        if len(found) >= limit:
            break
        value = match.group(1) or match.group(2) or match.group(3) or ""
        value = html.unescape(value[: MAX_HREF_CHARS * 2]).strip()[:MAX_HREF_CHARS]
        if value and not value.startswith("#"):
            found.append(value)
    return found
