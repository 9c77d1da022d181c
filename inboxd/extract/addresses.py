"""Wallet addresses, with their checksums verified: Bitcoin, EVM and Tron.

- Bitcoin: base58check P2PKH (`1…`) and P2SH (`3…`), bech32 (`bc1q…`) and bech32m
  (`bc1p…`, taproot);
- EVM: `0x` + 40 hex, EIP-55 checked when the case is mixed (one case carries no checksum);
- Tron: base58check with version 0x41 (`T…`).

An address whose checksum fails is still reported, with `valid=False`: customers mistype
addresses and support wants to know. A base58 string that fails its checksum is taken for
a mistyped address only when it has an address's shape (length, mixed letters and digits).
"""

from __future__ import annotations

import re

from inboxd.extract import checksums
from inboxd.extract.checksums import BASE58_ALPHABET
from inboxd.extract.context import Masked, as_masked
from inboxd.values import WalletAddress

_B58 = BASE58_ALPHABET
_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"
_EVM = re.compile(rf"{_EDGE_BEFORE}0x[0-9a-fA-F]{{40}}{_EDGE_AFTER}")
_TRON = re.compile(rf"{_EDGE_BEFORE}T[{_B58}]{{33}}{_EDGE_AFTER}")
_BTC_BASE58 = re.compile(rf"{_EDGE_BEFORE}[13][{_B58}]{{25,34}}{_EDGE_AFTER}")
_BECH32 = re.compile(
    rf"{_EDGE_BEFORE}(?:bc1|BC1)[{checksums.BECH32_ALPHABET}{checksums.BECH32_ALPHABET.upper()}]{{8,87}}{_EDGE_AFTER}"
)


def _looks_base58_random(value: str) -> bool:
    """Upper, lower and digits mixed, as in any real base58 address (not a word, not a number)."""
    return any(c.isupper() for c in value[1:]) and any(c.islower() for c in value) and any(c.isdigit() for c in value)


def addresses(masked: Masked | str) -> tuple[WalletAddress, ...]:
    masked = as_masked(masked)
    text = masked.text
    hits: list[tuple[int, WalletAddress]] = []
    # The patterns start with a look-behind, tried at every position: look for their first letters first.
    for m in _EVM.finditer(text) if "0x" in text else ():
        hits.append((m.start(), WalletAddress(m.group(0), "evm", checksums.eip55_valid(m.group(0)))))
    for m in _TRON.finditer(text) if "T" in text else ():
        value = m.group(0)
        valid = checksums.base58_address_valid(value, checksums.TRON)
        if valid or _looks_base58_random(value):
            hits.append((m.start(), WalletAddress(value, "tron", valid)))
    for m in _BTC_BASE58.finditer(text):
        value = m.group(0)
        version = checksums.BTC_P2PKH if value[0] == "1" else checksums.BTC_P2SH
        valid = checksums.base58_address_valid(value, version)
        if valid or (len(value) >= 33 and _looks_base58_random(value)):
            hits.append((m.start(), WalletAddress(value, "bitcoin", valid)))
    for m in _BECH32.finditer(text) if "bc1" in text or "BC1" in text else ():
        value = m.group(0)
        valid = checksums.segwit_valid(value)
        # bc1 followed by 11+ bech32 characters is meant as an address, whatever its checksum.
        if valid or 14 <= len(value) <= 90:
            hits.append((m.start(), WalletAddress(value, "bitcoin", valid)))
    found: dict[str, WalletAddress] = {}
    for _, address in sorted(hits, key=lambda hit: hit[0]):
        found.setdefault(address.value.lower() if address.chain == "evm" else address.value, address)
    return tuple(found.values())
