"""Text safe for an operator's terminal: what a mail's sender wrote is shown, never obeyed.

The only user of rich. The command line prints subjects, names, addresses, Message-IDs,
file names, ticket facts and errors that quote mail: attacker input. Two kinds of text in
them would act on the terminal instead of being read:

- rich markup and emoji codes: `[/bold]` closes a style nobody opened and raises (the
  command dies, and `ticket list` keeps dying for as long as that ticket exists);
  `[link=https://…]` turns into a clickable link; `:warning:` into a picture;
- control characters: ANSI and OSC escape sequences (`ESC [2J` clears the screen,
  `ESC ] 8 ;; URL BEL` opens a hyperlink, `ESC [31m` recolours what follows), the other
  C0 and C1 controls (CR rewrites the line, BS erases), DEL, and the bidi overrides and
  isolates (U+202A–U+202E, U+2066–U+2069) that reorder what is shown.

`Terminal` is the console every command prints through. It does both in one place, at
the point where rich turns a string into text (`render_str`: a printed line, a table cell,
a rule or table title, a status line), so a new command cannot forget it: no string is
read as markup, and each control character is shown as an escape (`\\x1b`, `\\u202e`).
Our own emphasis is a `Text` with a style (`styled`), never markup around data.

`json_text` is `json.dumps` for the terminal: the same JSON and the same values, with the
characters the encoder leaves raw (DEL, C1, bidi) written as `\\uXXXX` too. The log
records (inboxd.logs) are written through `shown` and `json_text` as well.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from rich.console import Console, RenderableType
from rich.status import Status
from rich.style import Style
from rich.table import Table
from rich.text import Text

__all__ = ["Table", "Terminal", "json_text", "shown", "styled"]

# Tab and newline are layout, and ours (multi-line messages, an acknowledgement's body);
# every other control character, and the bidi controls that reorder a line, are not.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# In JSON the encoder has already written C0 as \u00XX; what it leaves raw is the rest.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str) -> str:
    """`text` with each control character (but tab and newline) and bidi control as a visible escape."""
    return _UNSAFE.sub(_escape, text)


def json_text(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """`json.dumps(value, ensure_ascii=False)` that writes no character able to act on a terminal.

    Such characters only occur inside JSON strings, where `\\uXXXX` stands for the same
    character: the JSON decodes to exactly the same values.
    """
    text = json.dumps(value, ensure_ascii=False, default=default)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def styled(text: str, style: str) -> Text:
    """Our own words with emphasis (e.g. `styled("error:", "bold red")`); data stays a plain string."""
    return Text(shown(text), style=style)


class Terminal(Console):
    """A rich Console that shows every string as it is: no markup, no emoji codes, no control characters."""

    def __init__(self, *, stderr: bool = False, **options: Any) -> None:
        # soft_wrap: a long subject wraps in the terminal, not by inserted newlines (copy-paste).
        # `options` are rich's (file, width, force_terminal …), for tests.
        super().__init__(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True, **options)

    def render_str(
        self,
        text: str,
        *,
        style: str | Style = "",
        markup: bool | None = None,
        emoji: bool | None = None,
        **kwargs: Any,
    ) -> Text:
        # Markup and emoji stay off even when a caller asks (`print(..., markup=True)`):
        # a message built with an f-string carries data, and data is never markup.
        return super().render_str(shown(text), style=style, markup=False, emoji=False, **kwargs)

    def status(self, status: RenderableType, **kwargs: Any) -> Status:
        # rich's spinner reads a string status as markup itself, bypassing render_str.
        return super().status(self.render_str(status) if isinstance(status, str) else status, **kwargs)
