"""Domain names: normalised for comparison, and cut to the part someone registered.

The only module importing tldextract. It answers with the Public Suffix List snapshot
that ships inside the package and never downloads one (`suffix_list_urls=()`): a run
must not depend on, or leak anything to, the network. The list decides that
`mail.example.co.uk` was registered as `example.co.uk`; for a name under a suffix the
list does not know (`.test`, `.example`, a private TLD) the last two labels count as
the registered domain, which is what DMARC's relaxed alignment needs there too.

`cut` is for telling a look-alike from the real thing (inboxd.links), not for DMARC: it reads
the list's private section too, so that `exchange.github.io` is one party's name and
`evil.github.io` another's, and says when the list does not know the suffix.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tldextract


@cache
def _extractor() -> tldextract.TLDExtract:
    # Imported when first needed: tldextract brings requests along (0.15 s, several MiB), which
    # the store and the worker processes, who only normalise names, should not pay for.
    import tldextract  # noqa: PLC0415 - see above

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def normalise(name: str) -> str:
    """A host name as DNS compares it: lower-case, no trailing dot, IDNA (punycode) labels.

    `例子.测试` and `xn--fsqu00a.xn--0zwm56d` are the same name; a label that cannot be
    encoded is kept as written (lower-cased), so that it equals only itself.
    """
    name = name.strip().rstrip(".").lower()
    if name.isascii():
        return name
    labels = []
    for label in name.split("."):
        try:
            labels.append(label.encode("idna").decode("ascii"))
        except UnicodeError:
            labels.append(label)
    return ".".join(labels)


@lru_cache(maxsize=4096)
def registered_domain(name: str) -> str:
    """The domain under the public suffix (`example.co.uk` for `mx.mail.example.co.uk`)."""
    host = normalise(name)
    parts = _extractor()(host)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    return ".".join(host.split(".")[-2:])


@lru_cache(maxsize=8192)
def cut(name: str) -> tuple[str, str, str]:
    """(subdomain, name, suffix) of a normalised host name, by the whole list (private section too).

    `login.exchange.co.uk` -> ("login", "exchange", "co.uk"); the suffix is "" when the list does
    not know it (`exchange.test` -> ("", "exchange", "")): the caller decides what counts then.
    """
    parts = _extractor()(name, include_psl_private_domains=True)
    return parts.subdomain, parts.domain, parts.suffix


def domain_of(address: str) -> str:
    """The normalised domain of an e-mail address ('' when it has none)."""
    _, at, domain = address.rpartition("@")
    return normalise(domain) if at else ""


def aligned(a: str, b: str) -> bool:
    """DMARC's relaxed alignment: both names under the same registered domain."""
    return bool(a and b) and registered_domain(a) == registered_domain(b)
