"""Transaction hashes by chain family: EVM, Bitcoin/Tron/other 64-hex, Solana signatures.

- `0x` + 64 hex is an EVM transaction (hex is reported lower-case: its case carries nothing);
- 64 hex without `0x` is Tron or Bitcoin when the text says so (TRC20, 波场, BTC,
  比特币, an explorer link), otherwise `unknown`;
- a base58 string of 87–88 characters that decodes to 64 bytes is a Solana signature.

A hex string that the text calls something else — a private key (私钥), a file's
SHA-256 checksum, a commit, a signature — is not a transaction: the closest cue word
before it decides. Values in URLs count only in block-explorer links (see `context`).
"""

from __future__ import annotations

import re

from inboxd.extract.checksums import BASE58_ALPHABET, base58_length
from inboxd.extract.context import Masked, as_masked, cue_pattern, nearest_cue
from inboxd.values import TxId

_HEX = "0-9a-fA-F"
_EVM_TX = re.compile(rf"(?<![0-9A-Za-z])0[xX][{_HEX}]{{64}}(?![0-9A-Za-z])")
_HEX64 = re.compile(rf"(?<![0-9A-Za-z])[{_HEX}]{{64}}(?![0-9A-Za-z])")
_SOLANA = re.compile(rf"(?<![0-9A-Za-z])[{BASE58_ALPHABET}]{{86,88}}(?![0-9A-Za-z])")

TX_CUES = (
    "txid", "tx id", "tx hash", "txhash", "tx", "hash", "transaction", "transfer", "哈希", "交易哈希", "交易id",
    "交易号", "转账记录", "链上", "signature of the transaction", "sig",
)  # fmt: skip
KEY_CUES = (
    "private key", "privkey", "priv key", "secret key", "私钥", "私鑰", "密钥", "密鑰", "key",
)  # fmt: skip
OTHER_CUES = (
    "sha-256", "sha256", "sha 256", "sha-1", "sha1", "md5", "checksum", "check sum", "校验", "校驗", "摘要",
    "digest", "hmac", "signature", "签名", "簽名", "commit", "fingerprint", "指纹", "api key", "api secret",
    "event id", "bundle", "build", "file hash", "文件哈希",
)  # fmt: skip
_CUES = {"tx": cue_pattern(TX_CUES), "key": cue_pattern(KEY_CUES), "other": cue_pattern(OTHER_CUES)}
# A Solana transaction is named by its signature: only a key cue speaks against it.
_SOLANA_CUES = {"tx": cue_pattern((*TX_CUES, "signature", "签名")), "key": _CUES["key"]}

_CHAIN_CUES = {
    "tron": cue_pattern(("trc20", "trc-20", "tron", "trx", "tronscan", "波场", "波場")),
    "bitcoin": cue_pattern(("btc", "bitcoin", "比特币", "比特幣", "mempool", "blockstream", "sats", "satoshi")),
}


def _is_transaction(text: str, start: int, end: int, cues: dict[str, re.Pattern[str]] = _CUES) -> bool:
    """Unless the closest cue before (or just after) calls it a key, checksum, signature …"""
    cue = nearest_cue(text, start, cues, before=80, after=40, end=end)
    return cue in (None, "tx")


def _hex_chain(masked: Masked, start: int, end: int) -> str:
    explorer = masked.explorer_chain(start, end)
    if explorer in ("tron", "bitcoin"):
        return explorer
    text = masked.text
    near = nearest_cue(text, start, _CHAIN_CUES, before=150, after=100, end=end)
    if near:
        return near
    # Nothing near the hash: the chain the whole mail talks about, if it names only one.
    named = [name for name, pattern in _CHAIN_CUES.items() if pattern.search(text)]
    return named[0] if len(named) == 1 else "unknown"


def transaction_ids(masked: Masked | str) -> tuple[TxId, ...]:
    masked = as_masked(masked)
    text = masked.text
    found: dict[str, TxId] = {}
    hits: list[tuple[int, TxId]] = []
    # The patterns start with a look-behind, tried at every position: an EVM hash needs its 0x.
    for m in _EVM_TX.finditer(text) if "0x" in text or "0X" in text else ():
        if masked.explorer_chain(m.start(), m.end()) is None and not _is_transaction(text, m.start(), m.end()):
            continue
        hits.append((m.start(), TxId("0x" + m.group(0)[2:].lower(), "evm")))
    for m in _HEX64.finditer(text):
        if masked.explorer_chain(m.start(), m.end()) is None and not _is_transaction(text, m.start(), m.end()):
            continue
        hits.append((m.start(), TxId(m.group(0).lower(), _hex_chain(masked, m.start(), m.end()))))
    for m in _SOLANA.finditer(text):
        if len(m.group(0)) < 87 or base58_length(m.group(0)) != 64:
            continue
        if masked.explorer_chain(m.start(), m.end()) is None and not _is_transaction(
            text, m.start(), m.end(), _SOLANA_CUES
        ):
            continue
        hits.append((m.start(), TxId(m.group(0), "solana")))
    for _, tx in sorted(hits, key=lambda hit: hit[0]):
        found.setdefault(tx.value, tx)
    return tuple(found.values())
