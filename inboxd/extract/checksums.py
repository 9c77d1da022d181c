"""Checksums of blockchain encodings: the only user of base58, bech32m and pycryptodome.

Every check answers one question — does this string carry a valid checksum for its
format — with the maintained libraries rather than hand-written codecs: base58check
(Bitcoin P2PKH/P2SH, Tron, WIF keys, extended keys), bech32/bech32m segwit addresses
(the BIP-173/350 reference implementation, packaged as `bech32m`) and EIP-55 mixed-case
EVM addresses (Keccak-256 from pycryptodome).
"""

from __future__ import annotations

import base58
import bech32m
from Crypto.Hash import keccak

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32_ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

# base58check version bytes
BTC_P2PKH = 0x00
BTC_P2SH = 0x05
TRON = 0x41
WIF_MAINNET = 0x80
WIF_TESTNET = 0xEF
# BIP-32 extended private keys: xprv, yprv, zprv, tprv (4-byte versions)
EXTENDED_PRIVATE_VERSIONS = frozenset(
    {bytes.fromhex(v) for v in ("0488ade4", "049d7878", "04b2430c", "04358394", "0295b005", "02aa7a99")}
)


def base58check_payload(value: str) -> bytes | None:
    """The payload (version byte included) when the base58check checksum holds, else None."""
    try:
        return base58.b58decode_check(value)
    except ValueError:
        return None


def base58_length(value: str) -> int | None:
    """How many bytes a base58 string decodes to (None when it is not base58)."""
    try:
        return len(base58.b58decode(value))
    except ValueError:
        return None


def base58_address_valid(value: str, version: int) -> bool:
    """A 21-byte base58check address (version + 20-byte hash) with this version byte."""
    payload = base58check_payload(value)
    return payload is not None and len(payload) == 21 and payload[0] == version


def segwit_valid(value: str, hrp: str = "bc") -> bool:
    """A segwit address: bech32 for witness v0, bech32m for v1+ (BIP-173/350)."""
    try:
        bech32m.decode(hrp, value)  # all-upper is valid, mixed case is not
    except ValueError:  # bech32m.DecodeError is a ValueError
        return False
    return True


def keccak256(data: bytes) -> bytes:
    return bytes(keccak.new(digest_bits=256, data=data).digest())


def eip55_valid(value: str) -> bool:
    """`0x` + 40 hex: valid when all one case (no checksum) or the EIP-55 casing holds."""
    body = value[2:]
    if body == body.lower() or body == body.upper():
        return True
    digest = keccak256(body.lower().encode("ascii")).hex()
    expected = "".join(c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(body.lower()))
    return expected == body


def wif_valid(value: str) -> bool:
    """A WIF private key: base58check, version 0x80 (0xef testnet), 32-byte key (+0x01 compressed)."""
    payload = base58check_payload(value)
    if payload is None or payload[0] not in (WIF_MAINNET, WIF_TESTNET):
        return False
    return len(payload) == 33 or (len(payload) == 34 and payload[-1] == 0x01)


def extended_private_key_valid(value: str) -> bool:
    payload = base58check_payload(value)
    return payload is not None and len(payload) == 78 and payload[:4] in EXTENDED_PRIVATE_VERSIONS
