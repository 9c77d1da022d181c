"""Customer secrets: each kind and layout is found and redacted; prose, hashes and codes are not."""

from __future__ import annotations

from dataclasses import replace

import pytest

from inboxd.parse import parse_message
from inboxd.redact import PLACEHOLDER, find_secrets, redact, redact_mail
from inboxd.values import ParsedEmail

# BIP39 test vectors and phrases made from the wordlists (none holds any funds).
EN12 = "legal winner thank year wave sausage worth useful legal winner thank yellow"
EN24 = (
    "letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd "
    "amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic bless"
)
EN_BAD_CHECKSUM = "legal winner thank year wave sausage worth useful legal winner thank thank"
ZH12 = "的 雄 粗 尺 载 属 海 酸 柯 沙 赶 艇"
JA12 = "そつう　れきだい　ほんやく　わかす　りくつ　ばいか　ろせん　やちん　そつう　れきだい　ほんやく　わかめ"
ES12 = "ábaco marco mente mapa favor cubo brillo coger proeza gripe látex zapato"
HEX_KEY = "9a3f5e7c1b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d2f4a"
WIF = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"
WIF_COMPRESSED = "KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617"


def _numbered(words: str, style: str = "{i}. {w}", sep: str = " ") -> str:
    return sep.join(style.format(i=i, w=w) for i, w in enumerate(words.split(), 1))


def _rows(words: str, per: int = 4) -> str:
    w = words.split()
    return "\n".join(" ".join(w[i : i + per]) for i in range(0, len(w), per))


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Here is my recovery phrase:\n\n{EN12}\n\nplease help", EN12),
        (f"My wallet words: {_numbered(EN24)}", _numbered(EN24)[3:]),
        (f"seed:\n{_numbered(EN12, sep=chr(10))}\nthanks", _numbered(EN12, sep="\n")[3:]),
        (f"{', '.join(EN12.split())}", ", ".join(EN12.split())),
        (f"I wrote them down:\n{_rows(EN24)}\n\nis the order important?", _rows(EN24)),
        (f"words:\n{chr(10).join(EN12.split())}", "\n".join(EN12.split())),
        (f"> {_rows(EN24, 6).replace(chr(10), chr(10) + '> ')}", _rows(EN24, 6).replace("\n", "\n> ")),
        (f"我的助记词是：{ZH12}\n你们帮我查一下", ZH12),
        (f"我的助记词是：{ZH12.replace(' ', '')}\n你们帮我查一下", ZH12.replace(" ", "")),
        (f"助记词 {_numbered(ZH12, '{i}.{w}')} ，顺序对吗", _numbered(ZH12, "{i}.{w}")[2:]),
        (f"助记词：{'，'.join(ZH12.split())}", "，".join(ZH12.split())),
        (f"ウォレットの単語 {JA12}", JA12),
        (f"mi frase semilla: {ES12}", ES12),
        (f"mi frase: {ES12.replace('á', 'a')}", ES12.replace("á", "a")),  # typed without accents
        (f"my seed phrase is {EN_BAD_CHECKSUM}", EN_BAD_CHECKSUM),  # mistyped: still a secret
        (f"my seed phrase: {EN12.replace('sausage', 'sausag')}", EN12.replace("sausage", "sausag")),
    ],
)
def test_seed_phrases_in_every_layout(text: str, secret: str) -> None:
    found = find_secrets(text)
    assert [s.kind for s in found] == ["seed_phrase"]
    start = text.index(secret)
    assert found[0].start <= start and start + len(secret) <= found[0].end


@pytest.mark.parametrize(
    "text",
    [
        "Please help me, I still want to know what happened to my account and why my withdrawal is late.",
        "Hi team,\nwhat about this one now, they still want more time before any other order today or tomorrow.\nthanks",
        "我的钱包被盗了，里面的钱全被转走了，你们帮我查一下是谁干的，能不能追回来？我已经报警了。",
        "助记词我没有给任何人，也没有截图，为什么钱包里的币会被转走？请你们的安全团队帮我查一下。",
        f"交易哈希 {HEX_KEY}",
        f"https://etherscan.io/tx/0x{HEX_KEY} — my private key is safe",
        "The SMS code 482913 expired before I could type it.",
        "谷歌验证码 482913 一直提示错误",
        "My password is incorrect, says the app. My passcode was denied.",
        "I reset my password: https://exchange.example/reset?token=abc123",
        "my password is 100% correct",
        "密码错误，密码是对的",
        "I have no backup codes and no setup key, what can I do?",
        "没想到没有备份密钥。我的 UID 是 20485731。",
    ],
)
def test_no_false_secrets(text: str) -> None:
    assert find_secrets(text) == ()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"I exported the private key:\n\n{HEX_KEY}\n\nand it says invalid", HEX_KEY),
        (f"私钥是：0x{HEX_KEY}，要加0x吗", f"0x{HEX_KEY}"),
        (f"0x{HEX_KEY} is my private key, is it still safe?", f"0x{HEX_KEY}"),
        (f"paper wallet from 2014: {WIF}", WIF),  # a valid WIF needs no cue word
        (f"私钥{WIF_COMPRESSED}，怎么导入", WIF_COMPRESSED),
        (f"my private key is {WIF[:-1]}K", f"{WIF[:-1]}K"),  # mistyped WIF after a cue
    ],
)
def test_private_keys(text: str, secret: str) -> None:
    found = find_secrets(text)
    assert [s.kind for s in found] == ["private_key"]
    assert text[found[0].start : found[0].end] == secret


def test_a_key_next_to_a_transaction_hash_is_only_the_key() -> None:
    tx = "0x" + "ab12" * 16
    text = f"Someone drained my wallet, tx: {tx}\n\nI think my private key leaked. It was 0x{HEX_KEY}"
    found = find_secrets(text)
    assert [text[s.start : s.end] for s in found] == [f"0x{HEX_KEY}"]


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("My password is Xy7!kQ2#pL9 and I've been using it for 2 years.", ["Xy7!kQ2#pL9"]),
        ("my login password: sunshine2024.", ["sunshine2024"]),
        ("Password: abc", []),  # too short to be a password
        ("Password: sunshine", ["sunshine"]),
        ("我的密码是zhang12345，没改过啊。", ["zhang12345"]),
        ("登录密码：Ab3$kP9q\n资金密码：482913", ["Ab3$kP9q", "482913"]),
        ("fund password is 482913", ["482913"]),
        ("密码 abc12345 不对吗", ["abc12345"]),
    ],
)
def test_passwords(text: str, secrets: list[str]) -> None:
    found = find_secrets(text)
    assert [text[s.start : s.end] for s in found] == secrets
    assert all(s.kind == "password" for s in found)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        (
            "I still have the backup codes I saved when I set it up:\n\nk7q2-m9xp\nabcd-efgh\n0687 9575\n\nUID 58213904",
            ["k7q2-m9xp", "abcd-efgh", "0687 9575"],
        ),
        ("当时保存的备用码如下：\n1. 0687 9575\n2. 1234 5679\n麻烦帮我解绑，UID 58213904", ["0687 9575", "1234 5679"]),
        ("还有谷歌验证器的密钥：JBSWY3DPEHPK3PXP", ["JBSWY3DPEHPK3PXP"]),
        ("my authenticator setup key was JBSW Y3DP EHPK 3PXP and nothing else", ["JBSW Y3DP EHPK 3PXP"]),
    ],
)
def test_backup_codes(text: str, codes: list[str]) -> None:
    found = find_secrets(text)
    assert [text[s.start : s.end] for s in found] == codes
    assert all(s.kind == "backup_code" for s in found)


@pytest.mark.parametrize(
    "text",
    [
        f"Here is my recovery phrase:\n\n{EN12}\n\nmy password is Xy7!kQ2#pL9, key {WIF}",
        f"我的助记词是：{ZH12.replace(' ', '')}\n登录密码：Ab3$kP9q\n备用码如下：\nk7q2-m9xp",
        f"words: {EN24}\n\n> On Monday you wrote:\n> {EN24}",  # quoted back: still a secret
    ],
)
def test_redaction_leaves_no_secret_characters(text: str) -> None:
    redacted, found = redact(text)
    assert found
    for secret in found:
        value = text[secret.start : secret.end]
        assert value not in redacted
        for word in value.split():
            if len(word) >= 6:
                assert word not in redacted
    assert any(marker in redacted for marker in PLACEHOLDER.values())
    assert redact(redacted) == (redacted, ())  # nothing left to find: idempotent


def _mail(subject: str, body: str) -> ParsedEmail:
    raw = (
        "From: Dan <dan@example.org>\r\nTo: support@exchange.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <m1@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    ).encode()
    return parse_message(raw)


def test_redact_mail_covers_subject_text_new_text_and_headers() -> None:
    mail = _mail(
        "my password is Xy7!kQ2#pL9",
        f"Help, my seed is below\n\n{EN12}\n\nOn Mon, Support wrote:\n> send us your words\n> {EN12}\n",
    )
    redacted, found = redact_mail(mail)
    assert {(s.kind, s.field) for s in found} == {("password", "subject"), ("seed_phrase", "text")}
    for value in (EN12, "Xy7!kQ2#pL9", "sausage"):
        assert value not in redacted.subject + redacted.text + redacted.new_text
        assert all(value not in v for v in redacted.headers.values())
    assert redacted.message_id == mail.message_id and redacted.headers["message-id"] == mail.headers["message-id"]
    assert redacted.secrets == found
    again, more = redact_mail(redacted)
    assert more == () and again.secrets == found


def test_a_mail_without_secrets_is_returned_as_it_is() -> None:
    mail = _mail("USDT not received", "I sent 500 USDT yesterday, txid " + HEX_KEY)
    redacted, found = redact_mail(mail)
    assert found == () and redacted == replace(mail, redacted=True)


def test_a_redacted_mail_is_not_scanned_again() -> None:
    mail, found = redact_mail(_mail("help", "my password is Hunter2!xyz please reset"))
    assert found and mail.redacted
    # Scanning again would find nothing (idempotent) but costs time: it is skipped.
    assert redact_mail(mail) == (mail, ())
