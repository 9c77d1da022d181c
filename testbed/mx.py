"""What the exchange's receiving server does to each mail before it reaches the mailbox.

A real MX (Postfix with OpenDKIM/OpenDMARC, Rspamd, Exchange Online, Gmail) checks SPF,
DKIM and DMARC and prepends its verdict as an Authentication-Results header under its
own authserv-id. The demo, the tests and the benchmarks deliver mail straight into
Dovecot, so `stamp` plays that server: it prepends the header a server named
`AUTHSERV_ID` would write for the mail's From domain. `[trust] authserv_ids` names that
server in their configs, exactly as an operator names theirs.
"""

from __future__ import annotations

import re

AUTHSERV_ID = "mx.exchange.test"
_FROM = re.compile(rb"^From:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", re.I | re.M)
_DOMAIN = re.compile(rb"@([A-Za-z0-9.-]+)")


def from_domain(raw: bytes) -> str:
    """The domain of the first address in the From header ('' when there is none)."""
    header_end = raw.find(b"\n\n")
    crlf_end = raw.find(b"\r\n\r\n")
    ends = [e for e in (header_end, crlf_end) if e >= 0]
    head = raw[: min(ends)] if ends else raw
    found = _FROM.search(head)
    domain = _DOMAIN.search(found.group(0)) if found else None
    return domain.group(1).decode("ascii").lower() if domain else ""


def stamp(raw: bytes, dmarc: str = "pass", authserv_id: str = AUTHSERV_ID) -> bytes:
    """`raw` with the Authentication-Results the receiving server would prepend.

    `dmarc`: the DMARC result it found for the From domain (pass, fail, none).
    """
    domain = from_domain(raw) or "unknown.invalid"
    newline = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
    header = f"Authentication-Results: {authserv_id}; dmarc={dmarc} header.from={domain}".encode("ascii")
    return header + newline + raw
