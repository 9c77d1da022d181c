"""Blockchain values: addresses (valid, and mistyped as customers mistype them), tx hashes and
signatures, private keys and BIP39 seed phrases, with the checksums that decide their validity.

Uses pycryptodome (Keccak for EIP-55), base58, bech32m (the BIP-173/350 reference) and mnemonic.
"""

from __future__ import annotations

import base58
import bech32m
from bech32m.codecs import CHARSET as BECH
from Crypto.Hash import keccak
from mnemonic import Mnemonic

from .values import B58, R, g_hex

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def keccak256(data: bytes) -> bytes:
    h = keccak.new(digest_bits=256)
    h.update(data)
    return h.digest()


def to_eip55(hex40: str) -> str:
    hex40 = hex40.lower()
    digest = keccak256(hex40.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if c in "abcdef" and int(digest[i], 16) >= 8 else c for i, c in enumerate(hex40))


def segwit_valid(addr: str) -> bool:
    """A mainnet segwit address with a good checksum: bech32 for v0 (20 or 32 bytes), bech32m for v1+."""
    try:
        bech32m.decode("bc", addr)
    except ValueError:  # bech32m.DecodeError is a ValueError
        return False
    return True


def address_valid(a: str) -> bool:
    """Checksum validity as inboxd should judge it."""
    if a.startswith("0x"):
        h = a[2:]
        if len(h) != 40 or any(c not in "0123456789abcdefABCDEF" for c in h):
            return False
        if h == h.lower() or h == h.upper():
            return True  # valid format, checksum not present
        return to_eip55(h) == a
    if a.lower().startswith("bc1"):
        return segwit_valid(a)
    if a[:1] in ("1", "3", "T"):
        try:
            raw = base58.b58decode_check(a)
        except ValueError:
            return False
        want = {"1": 0x00, "3": 0x05, "T": 0x41}[a[0]]
        return len(raw) == 21 and raw[0] == want
    return False


def g_evm_addr(checksum: bool = True) -> str:
    while True:
        a = to_eip55(g_hex(20))
        body = a[2:]
        if not checksum:
            return a.lower()
        if body != body.lower() and body != body.upper():
            return a


def g_tron() -> str:
    return base58.b58encode_check(b"\x41" + R.randbytes(20)).decode()


def g_p2pkh() -> str:
    return base58.b58encode_check(b"\x00" + R.randbytes(20)).decode()


def g_p2sh() -> str:
    return base58.b58encode_check(b"\x05" + R.randbytes(20)).decode()


def g_bc1q(n: int = 20) -> str:
    return bech32m.encode("bc", 0, R.randbytes(n))


def g_bc1p() -> str:
    return bech32m.encode("bc", 1, R.randbytes(32))  # taproot: bech32m


ADDR_GEN = {
    "btc1": (g_p2pkh, "bitcoin"),
    "btc3": (g_p2sh, "bitcoin"),
    "bc1q": (g_bc1q, "bitcoin"),
    "bc1qw": (lambda: g_bc1q(32), "bitcoin"),
    "bc1p": (g_bc1p, "bitcoin"),
    "evm": (g_evm_addr, "evm"),
    "evml": (lambda: g_evm_addr(False), "evm"),
    "tron": (g_tron, "tron"),
}


def mistype(addr: str) -> tuple[str, str]:
    """Make the kind of typo a customer makes: one character changed or two
    neighbouring characters swapped.  Returns (bad_address, description)."""
    if addr.startswith("0x"):
        start, alph = 2, None
    elif addr.startswith("bc1"):
        start, alph = 4, BECH
    else:
        start, alph = 1, B58
    for _ in range(200):
        s = list(addr)
        if R.random() < 0.5:
            i = R.randrange(start, len(s) - 1)
            if s[i] == s[i + 1]:
                continue
            s[i], s[i + 1] = s[i + 1], s[i]
            desc = f"characters {i + 1} and {i + 2} swapped"
        else:
            i = R.randrange(start, len(s))
            c = s[i]
            if alph is None:
                pool = "0123456789" if c.isdigit() else ("abcdef" if c.islower() else "ABCDEF")
            else:
                pool = alph
            s[i] = R.choice([x for x in pool if x != c])
            desc = f"character {i + 1} changed from {c!r} to {s[i]!r}"
        bad = "".join(s)
        if not address_valid(bad):
            return bad, desc
    raise RuntimeError("no invalid variant")


def g_sol_sig() -> str:
    while True:
        s = base58.b58encode(R.randbytes(64)).decode()
        if len(s) in (87, 88):
            return s


def g_privkey() -> bytes:
    while True:
        k = R.randbytes(32)
        if 0 < int.from_bytes(k, "big") < SECP256K1_N:
            return k


def wif(key: bytes, compressed: bool) -> str:
    return base58.b58encode_check(b"\x80" + key + (b"\x01" if compressed else b"")).decode()


MN = {"en": Mnemonic("english"), "zh": Mnemonic("chinese_simplified")}
ENTROPY = {12: 16, 15: 20, 18: 24, 24: 32}


def g_seed(spec: str) -> tuple[str, str]:
    """spec like en12.space -> (full text as pasted, secret span)."""
    lw, fmt = spec.split(".")
    lang, n = lw[:2], int(lw[2:])
    phrase = MN[lang].to_mnemonic(R.randbytes(ENTROPY[n]))
    assert MN[lang].check(phrase)
    w = phrase.split()
    assert len(w) == n
    if fmt == "space":
        full = " ".join(w)
    elif fmt == "nospace":
        full = "".join(w)
    elif fmt == "comma":
        full = (", " if lang == "en" else "，").join(w)
    elif fmt == "num":
        full = " ".join(f"{i}. {x}" for i, x in enumerate(w, 1))
    elif fmt == "numc":  # Chinese style 1.纲 2.想
        full = " ".join(f"{i}.{x}" for i, x in enumerate(w, 1))
    elif fmt == "lines":
        full = "\n".join(w)
    elif fmt == "numlines":
        full = "\n".join(f"{i}. {x}" for i, x in enumerate(w, 1))
    elif fmt == "rows":
        full = "\n".join(" ".join(w[i : i + 4]) for i in range(0, n, 4))
    else:
        raise ValueError(fmt)
    span = full[full.index(w[0]) :]
    assert span.endswith(w[-1])
    return full, span


def g_tx(spec: str) -> str:
    if spec == "evm":
        return "0x" + g_hex(32)
    if spec == "EVM":
        return "0x" + g_hex(32).upper()
    if spec == "HEX":
        return g_hex(32).upper()
    if spec == "sol":
        return g_sol_sig()
    return g_hex(32)
