"""HTML to readable text: the only module importing html2text.

Links are kept inline because customers paste block-explorer links whose path is
the transaction hash; images, emphasis and table drawing are dropped as noise.
"""

from __future__ import annotations

import re

import html2text


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
