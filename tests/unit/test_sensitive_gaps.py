"""Customer secrets in the layouts first missed: keys in pieces, hidden separators, TOTP, free phrasing, attachments.

Each layout is found, redacted to nothing of itself and idempotently; each near miss next to
it (a transaction hash after key words, "Password: forgot it", ordinary text with underscores
or zero-width characters) is left alone.
"""

from __future__ import annotations

import pytest

from inboxd.extract.hashes import transaction_ids
from inboxd.sensitive import find_secrets, redact

EN12 = "legal winner thank year wave sausage worth useful legal winner thank yellow"
EN12_BAD = "legal winner thank year wave sausage worth useful legal winner thank thank"  # no checksum
ZH12 = "的 雄 粗 尺 载 属 海 酸 柯 沙 赶 艇"
HEX = "9a3f5e7c1b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d2f4a"
WIF = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"
WIF_COMPRESSED = "KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617"
TOTP = "JBSWY3DPEHPK3PXP"


def groups(value: str, size: int, sep: str) -> str:
    return sep.join(value[i : i + size] for i in range(0, len(value), size))


def found(text: str) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start : s.end]) for s in find_secrets(text)]


def assert_redacted(text: str, secret: str) -> None:
    """Nothing of the secret is left (no piece of 4 or more), and redacting again finds nothing."""
    redacted, secrets = redact(text)
    assert secrets
    for piece in secret.replace("\n", " ").replace("-", " ").replace("_", " ").split():
        if len(piece) >= 4:
            assert piece not in redacted, (piece, redacted)
    assert redact(redacted) == (redacted, ())


# -- a transaction signed with a key --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"the tx I signed with my private key: 0x{HEX}",
        f"The transaction hash, signed using the key, is 0x{HEX}",
        f"交易哈希，我用私钥签的：0x{HEX}",
    ],
)
def test_a_transaction_signed_with_a_key_stays_a_transaction(text: str) -> None:
    # The key words name the tool; the tx words before them in the same clause name the value.
    assert find_secrets(text) == ()
    assert [t.value for t in transaction_ids(text)] == [f"0x{HEX}"]


@pytest.mark.parametrize(
    "text",
    [
        f"I signed with my private key: 0x{HEX}",  # no other cue in the clause: still a key
        f"the tx failed. I signed with my private key: 0x{HEX}",  # the tx is another sentence
        f"the tx I signed with my private key. The key: 0x{HEX}",
    ],
)
def test_a_key_named_as_a_tool_alone_is_still_a_key(text: str) -> None:
    assert found(text) == [("private_key", f"0x{HEX}")]
    assert transaction_ids(text) == ()
