"""Who sent a mail, as far as someone trustworthy can tell: the sender verdict.

The only module importing authres (RFC 8601 Authentication-Results) and dkimpy.

Anyone can write any From, Reply-To or Authentication-Results header. What can be
trusted is what the exchange's own receiving servers wrote after checking SPF, DKIM
and DMARC, and they are named by the operator (`[trust] authserv_ids`). A receiving
server prepends its Authentication-Results, so the topmost header carrying a trusted
authserv-id is the one that counts; every header below it, and every header with
another id, was written by someone else and is ignored (RFC 8601 §5 asks receivers to
remove or rename look-alikes of their own, which is the operator's MX configuration).

The verdict, from that one header:
- `fail`: the server's DMARC check failed (the From domain is forged);
- `pass`: DMARC passed for the From domain, or — where the server wrote no DMARC
  result for it — a DKIM signature or SPF check passed for a domain aligned with the
  From domain (relaxed alignment, as DMARC defines it);
- `none`: no trusted evidence either way. A failed SPF or DKIM check alone is not a
  forgery (forwarding and mailing lists break both), so it is `none`, not `fail`.

With `[trust] verify_dkim = true` and no trusted header, inboxd checks the DKIM
signatures itself (dkimpy; the key lookup is a function, so tests need no DNS): an
aligned valid signature is `pass`, anything else `none`.

What each verdict allows is decided elsewhere (decide, tickets): only `pass` has its
facts and name quoted back; `fail` is never answered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import authres

from inboxd.domains import aligned, domain_of, normalise
from inboxd.values import FAIL, NONE, PASS, SenderAuth

log = logging.getLogger("inboxd.trust")

# A DNS TXT lookup: name (bytes) -> record (bytes) or None; dkimpy's own signature.
DnsLookup = Callable[..., bytes | None]
# What may appear of a header's values in evidence: they end up in logs and on terminals.
_UNSAFE = re.compile(r"[^A-Za-z0-9.@_:=+-]")
_ID = re.compile(r"^\s*([^\s;]+)")
_MAX_HEADERS = 50  # Authentication-Results headers looked at; a mail with more is odd, not trusted more


@dataclass(frozen=True, slots=True)
class TrustSettings:
    """`[trust]` as plain values (they travel to worker processes without the config schema)."""

    authserv_ids: frozenset[str] = frozenset()
    verify_dkim: bool = False


def _safe(value: object, limit: int = 80) -> str:
    return _UNSAFE.sub("?", str(value or ""))[:limit]


def _authserv_id(header: str) -> str:
    found = _ID.match(header)
    return normalise(found.group(1)) if found else ""


def _prop(result: authres.core.AuthenticationResult, kind: str, name: str) -> str:
    for prop in result.properties:
        if prop.type == kind and prop.name == name:
            return str(prop.value or "")
    return ""


def _from_results(server: str, header: str, from_domain: str) -> SenderAuth:
    """The verdict one trusted Authentication-Results header gives for `from_domain`."""
    try:
        parsed = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {header}")
    except Exception as exc:  # authres raises its own SyntaxError and others on malformed input
        return SenderAuth(NONE, f"{_safe(server)}: unreadable Authentication-Results ({type(exc).__name__})")
    dkim_seen: list[str] = []
    spf_seen: list[str] = []
    dmarc_pass = ""
    for result in parsed.results:
        method, outcome = str(result.method).lower(), str(result.result).lower()
        if method == "dmarc":
            header_from = normalise(_prop(result, "header", "from"))
            if outcome == FAIL:
                # The server judged the From this mail carries and found it forged; if its
                # header.from differs from ours, the mail has two Froms: no better.
                return SenderAuth(FAIL, f"{_safe(server)}: dmarc=fail header.from={_safe(header_from)}")
            if outcome == PASS and header_from == from_domain:
                dmarc_pass = f"{_safe(server)}: dmarc=pass header.from={_safe(header_from)}"
        elif method == "dkim":
            d = normalise(_prop(result, "header", "d") or _prop(result, "header", "i").rpartition("@")[2])
            dkim_seen.append(f"dkim={_safe(outcome, 16)} header.d={_safe(d)}")
            if outcome == PASS and aligned(d, from_domain) and not dmarc_pass:
                dmarc_pass = f"{_safe(server)}: dkim=pass header.d={_safe(d)} (aligned with From)"
        elif method == "spf":
            mailfrom = _prop(result, "smtp", "mailfrom")
            domain = domain_of(mailfrom) if "@" in mailfrom else normalise(mailfrom)
            spf_seen.append(f"spf={_safe(outcome, 16)} smtp.mailfrom={_safe(domain)}")
            if outcome == PASS and aligned(domain, from_domain) and not dmarc_pass:
                dmarc_pass = f"{_safe(server)}: spf=pass smtp.mailfrom={_safe(domain)} (aligned with From)"
    if dmarc_pass:
        return SenderAuth(PASS, dmarc_pass)
    seen = "; ".join([*dkim_seen, *spf_seen][:6]) or "no SPF, DKIM or DMARC result"
    return SenderAuth(NONE, f"{_safe(server)}: nothing aligned with the From domain passed ({seen})")


def _verify_dkim(raw: bytes, from_domain: str, dnsfunc: DnsLookup | None) -> SenderAuth:
    """Check the message's DKIM signatures ourselves: an aligned valid one is a pass."""
    # dkimpy is imported on first use: with dnspython it costs ~5 MiB in every process (each
    # worker too, which only parses) of a daemon that never verifies DKIM (the default).
    import dkim  # noqa: PLC0415 - imported on first use, see above

    try:
        checker = dkim.DKIM(raw, minkey=1024)
        count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
    except Exception as exc:  # dkimpy raises MessageFormatError and others on malformed mail
        return SenderAuth(NONE, f"dkim: cannot read the message ({type(exc).__name__})")
    if count == 0:
        return SenderAuth(NONE, "dkim: no signature and no trusted Authentication-Results")
    tried: list[str] = []
    for index in range(min(count, 5)):
        try:
            ok = checker.verify(idx=index, dnsfunc=dnsfunc) if dnsfunc else checker.verify(idx=index)
        except Exception as exc:  # DNS failures, bad keys, malformed signatures: not a pass
            tried.append(f"error {type(exc).__name__}")
            continue
        d = normalise((checker.domain or b"").decode("ascii", "replace"))
        if ok and aligned(d, from_domain):
            return SenderAuth(PASS, f"dkim verified by inboxd: d={_safe(d)} (aligned with From)")
        tried.append(f"d={_safe(d)} {'valid, not aligned' if ok else 'invalid'}")
    return SenderAuth(NONE, f"dkim verified by inboxd: {'; '.join(tried)}")


def sender_auth(
    sender: str,
    auth_results: Sequence[str],
    settings: TrustSettings,
    raw: bytes | None = None,
    dnsfunc: DnsLookup | None = None,
) -> SenderAuth:
    """The verdict on `sender` (the From address) from the mail's Authentication-Results
    headers, top to bottom as they stand in the mail, and optionally its raw bytes for DKIM."""
    from_domain = domain_of(sender)
    if not from_domain:
        return SenderAuth(NONE, "no From address")
    for header in auth_results[:_MAX_HEADERS]:
        server = _authserv_id(header)
        if server in settings.authserv_ids:
            return _from_results(server, header, from_domain)
    if settings.verify_dkim and raw is not None:
        return _verify_dkim(raw, from_domain, dnsfunc)
    if not settings.authserv_ids:
        return SenderAuth(NONE, "no trusted receiving server configured ([trust] authserv_ids)")
    return SenderAuth(NONE, "no Authentication-Results from a trusted receiving server")
