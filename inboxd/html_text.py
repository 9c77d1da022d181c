"""HTML to readable text: the only module importing html2text; and the HTML's link targets.

Links are kept inline because customers paste block-explorer links whose path is
the transaction hash; images, emphasis and table drawing are dropped as noise.
`hrefs` gives the targets of a page's links, which the text does not show when a
mail has a plain-text part too ("Verify <a href=https://look-alike>here</a>").
"""

from __future__ import annotations

import html
import re

import html2text


def _as_written(text: str, snob: bool = False) -> str:
    return text


# html2text writes Markdown, so it escapes what Markdown would read as markup: "1. I sent"
# at the start of a line becomes "1\\. I sent", "- item" becomes "\\- item", every backslash
# is doubled. The customer's words are read by people, the classifier and the extractors,
# never rendered as Markdown: the escapes only garble them, and cost a quarter of the
# conversion (four regex passes over every run of text). html2text calls this module-level
# function by name and has no setting for it; this is the only module that imports html2text.
html2text.escape_md_section = _as_written  # type: ignore[attr-defined]  # imported there from html2text.utils


def html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0  # no re-wrapping: hashes and addresses must stay on one line
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    converter.unicode_snob = True
    converter.protect_links = False
    try:
        return converter.handle(html).strip()
    except (AssertionError, ValueError, IndexError, RecursionError):
        # html2text rejects some badly broken markup; fall back to the tag-stripped text.
        return re.sub(r"<[^>]*>", " ", html)


# An href attribute: after white space or '/', as browsers read it; each alternative stops at
# its own delimiter, so the scan is linear whatever the markup.
_HREF = re.compile(r"""(?i)[\s/]href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`=]+))""")
MAX_HREF_CHARS = 2048


def hrefs(page: str, limit: int) -> list[str]:
    """The first `limit` href values of `page`, entity-decoded, each cut at MAX_HREF_CHARS."""
    found: list[str] = []
    for match in _HREF.finditer(page):
        if len(found) >= limit:
            break
        value = match.group(1) or match.group(2) or match.group(3) or ""
        value = html.unescape(value[: MAX_HREF_CHARS * 2]).strip()[:MAX_HREF_CHARS]
        if value and not value.startswith("#"):
            found.append(value)
    return found
