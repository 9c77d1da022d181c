"""Ticket references in subjects, as customers send them back (pure).

Our acknowledgement's subject ends with `[#INB-000123]` (ack.ticket_prefix). A
reply keeps it, but people and their clients change it on the way: Chinese input
methods type full-width brackets and signs (【＃INB-000123】), people drop the
hash or the brackets, type the prefix in lower case, or drop the leading zeros.
Bracketed forms are accepted with any number of digits; a bare `INB-123456`
needs the full six digits so that a product code that happens to share the
prefix is not read as a ticket. The reference returned is in our own form,
`INB-000123`, or None.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


@lru_cache(maxsize=8)
def _patterns(prefix: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    name = re.escape(prefix)
    bracketed = re.compile(r"[\[(]\s*#?\s*(" + name + r")\s*-?\s*(\d{1,9})\s*[\])]", re.I)
    bare = re.compile(r"(?<![A-Za-z0-9])#?(" + name + r")-(\d{6,9})(?![0-9])", re.I)
    return bracketed, bare


def ticket_reference(subject: str, prefix: str) -> str | None:
    """The last ticket reference in `subject` (our clients append it), normalised, or None."""
    # NFKC turns full-width ＃ and digits into ASCII; 【】 are mapped by hand.
    text = unicodedata.normalize("NFKC", subject).replace("【", "[").replace("】", "]")
    bracketed, bare = _patterns(prefix)
    found = list(bracketed.finditer(text)) or list(bare.finditer(text))
    if not found:
        return None
    number = int(found[-1].group(2))
    return f"{prefix}-{number:06d}" if number > 0 else None
