"""Customer secrets in the layouts first missed: keys in pieces, hidden separators, TOTP, free phrasing, attachments.

Each layout is found, redacted to nothing of itself and idempotently; each near miss next to
it (a transaction hash after key words, "Password: forgot it", ordinary text with underscores
or zero-width characters) is left alone.
"""

from __future__ import annotations

import base64
from datetime import UTC

import pytest

from inboxd.compose import App
from inboxd.extract import FactSettings, facts_of_mail
from inboxd.extract.hashes import KEY_CUES, transaction_ids
from inboxd.parse import parse_message
from inboxd.redact import find_secrets, redact, redact_mail
from inboxd.redact.keys import _KEY_CUE_CORES
from inboxd.triage import classifier_text
from inboxd.values import Classification, ParseLimits, Screening
from tests.triage_helpers import decide_mail

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


# -- private keys in pieces ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"my private key:\n{HEX[:32]}\n{HEX[32:]}\nis it safe?", f"{HEX[:32]}\n{HEX[32:]}"),
        (f"私钥：\n{HEX[:32]}\n{HEX[32:]}\n怎么导入", f"{HEX[:32]}\n{HEX[32:]}"),
        (f"私钥是 0x{HEX[:40]}\n{HEX[40:]}", f"0x{HEX[:40]}\n{HEX[40:]}"),  # wrapped anywhere
        (f"> my private key:\n> {HEX[:32]}\n> {HEX[32:]}", f"{HEX[:32]}\n> {HEX[32:]}"),  # quoted back
        (f"private key: {groups(HEX, 4, ' ')}", groups(HEX, 4, " ")),
        (f"private key: {groups(HEX, 4, '-')} thanks", groups(HEX, 4, "-")),
        (f"Private Key {groups(HEX.upper(), 8, ' ')}", groups(HEX.upper(), 8, " ")),
        (f"{groups(HEX, 4, ' ')} is my private key", groups(HEX, 4, " ")),  # the cue after the key
        (f"my private key is {HEX[:32]} {HEX[32:]}", f"{HEX[:32]} {HEX[32:]}"),
    ],
)
def test_hex_key_in_pieces(text: str, secret: str) -> None:
    assert found(text) == [("private_key", secret)]
    assert_redacted(text, secret)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"paper wallet: {WIF[:25]} {WIF[25:]}", f"{WIF[:25]} {WIF[25:]}"),  # no cue: the checksum decides
        (f"here {WIF[:10]} {WIF[10:]} ok", f"{WIF[:10]} {WIF[10:]}"),
        (
            f"私钥{WIF_COMPRESSED[:26]}\n{WIF_COMPRESSED[26:]}，怎么导入",
            f"{WIF_COMPRESSED[:26]}\n{WIF_COMPRESSED[26:]}",
        ),
    ],
)
def test_wif_key_in_two_parts(text: str, secret: str) -> None:
    assert found(text) == [("private_key", secret)]
    assert_redacted(text, secret)


@pytest.mark.parametrize(
    "text",
    [
        f"tx hash:\n{HEX[:32]}\n{HEX[32:]}\nplease check",  # a transaction, wrapped
        f"交易哈希 {groups(HEX, 4, ' ')}",
        f"{HEX[:32]}\n{HEX[32:]}",  # no cue word at all
        f"api key: {groups(HEX, 8, '-')}",  # a checksum cue ("api key") is not a private key
        f"paper wallet: {WIF[:25]} {WIF[25:-1]}K",  # two parts whose checksum fails
        f"order {WIF[:25]} {WIF[25:]}x",  # the second part runs on: not a key
    ],
)
def test_pieces_that_are_no_key(text: str) -> None:
    assert find_secrets(text) == ()


def test_every_key_cue_holds_a_core_the_quick_look_knows() -> None:
    assert all(any(core in cue.lower() for core in _KEY_CUE_CORES) for cue in KEY_CUES)


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


# -- seed phrases with hidden or unusual separators -----------------------------------------------


@pytest.mark.parametrize("separator", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "_", " \u200b", "\u200b\n"])
def test_seed_phrase_with_zero_width_or_underscore_separators(separator: str) -> None:
    phrase = separator.join(EN12.split())
    text = f"hi, here it is: {phrase}\nthx"
    assert found(text) == [("seed_phrase", phrase)]
    assert_redacted(text, EN12)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"my seed phrase is {'_'.join(EN12_BAD.split())}", "_".join(EN12_BAD.split())),
        (f"助记词：{chr(0x200B).join(ZH12.split())}", "\u200b".join(ZH12.split())),
    ],
)
def test_hidden_separators_after_a_cue(text: str, secret: str) -> None:
    assert found(text) == [("seed_phrase", secret)]


@pytest.mark.parametrize(
    "text",
    [
        "see config_file_path and user_account_balance_history in the export_task_status table",
        "IMG_2024_11_20_withdrawal_screenshot_final_v2.png",
        "____________________\nSupport team\n____________________",
        "\ufeffHello,\u200b my with\u200cdrawal is late.\u200d Please check the order\u2060 today.",
        "the\u200bquick\u200bbrown\u200bfox\u200bjumps\u200bover\u200bthe\u200blazy\u200bdog",
        "👨\u200d👩\u200d👧 family account, need help with a deposit",
        # Eleven wordlist words joined by underscores: too short without a cue word.
        "_".join(EN12.split()[:11]),
    ],
)
def test_underscores_and_zero_width_characters_in_ordinary_text(text: str) -> None:
    assert find_secrets(text) == ()


# -- TOTP secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            f"the QR code said otpauth://totp/Exchange:alice%40mail.com?secret={TOTP}&issuer=Exchange can you reset",
            f"otpauth://totp/Exchange:alice%40mail.com?secret={TOTP}&issuer=Exchange",
        ),
        (f"otpauth://totp/X?issuer=X&secret={TOTP}", f"otpauth://totp/X?issuer=X&secret={TOTP}"),
        (
            f"https://chart.example/qr?chl=otpauth%3A%2F%2Ftotp%2FEx%3Fsecret%3D{TOTP} (the image link)",
            f"otpauth%3A%2F%2Ftotp%2FEx%3Fsecret%3D{TOTP}",
        ),
        (
            "export: otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGGpvaG4uZG9lQGV4YW1wbGUuY29t",
            "otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGGpvaG4uZG9lQGV4YW1wbGUuY29t",
        ),
        (f"authenticator secret: {TOTP}", TOTP),
        (f"2FA key: {groups(TOTP, 4, ' ')}", groups(TOTP, 4, " ")),
        (f"2fa key: {groups(TOTP.lower(), 4, ' ')}", groups(TOTP.lower(), 4, " ")),
        (f"谷歌验证器密钥：{TOTP}", TOTP),
        (f"谷歌验证器秘钥是 {groups(TOTP * 2, 4, ' ')}", groups(TOTP * 2, 4, " ")),
        (f"TOTP seed {TOTP}", TOTP),
    ],
)
def test_totp_secrets(text: str, secret: str) -> None:
    assert found(text) == [("backup_code", secret)]
    assert_redacted(text, secret)


@pytest.mark.parametrize(
    "text",
    [
        "otpauth://totp/Exchange:alice?issuer=Exchange",  # a setup link without its secret
        "I lost my phone and the authenticator secret with it, please reset my 2FA.",
        "the authenticator code 482913 does not work",
    ],
)
def test_no_totp_secret(text: str) -> None:
    assert find_secrets(text) == ()


# -- passwords in free phrasing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("I use Hunter2024! as my password", ["Hunter2024!"]),
        ("I used 'Qw3rty99' as my login password.", ["Qw3rty99"]),
        ("Qw3rty99 is my password, why does it fail?", ["Qw3rty99"]),
        ("pass: Xy9!pq77", ["Xy9!pq77"]),
        ("login alice pass Xy9!pq77", ["Xy9!pq77"]),
        ("username: bob@example.org pass sunshine", ["sunshine"]),
        ("credentials: user alice / Xy9!pq", ["Xy9!pq"]),
        ("my credentials are alice | Xy9!pq", ["Xy9!pq"]),
        ("my login is bob and the password Qw3rty99", ["Qw3rty99"]),
        ("密码用的是abc12345", ["abc12345"]),
        ("登录密码设置为 Abc12345，还是登不上", ["Abc12345"]),
        ("账号密码：alice / abc12345", ["abc12345"]),
    ],
)
def test_passwords_in_free_phrasing(text: str, secrets: list[str]) -> None:
    assert found(text) == [("password", s) for s in secrets]
    assert_redacted(text, " ".join(secrets))


@pytest.mark.parametrize(
    "text",
    [
        "Password: forgot it",
        "Password: Forgot it, can you reset it?",
        "password: forgot",
        "password: I don't remember",
        "密码：忘记了",
        "密码用的是生日",
        "I cannot pass 2FA on my account",
        "my account cannot pass KYC2 verification",
        "login: bob, still cannot pass 2FA",
        "user alice failed to pass KYC2",
        "Pass the KYC check first",
        "What is my password?",
        "I use the same as my password",
        "We will never ask for your password, seed phrase or private key.",
        "my credentials are stolen, please help",
        "credentials: see the ticket, thanks",
        "bypass: none, passport: E12345678",
    ],
)
def test_no_password_in_these(text: str) -> None:
    assert find_secrets(text) == ()


# -- text attachments -----------------------------------------------------------------------------


def mail_with_attachment(
    body: str,
    attachment: bytes,
    content_type: str = "text/plain",
    filename: str = "wallet.txt",
    charset: str = "utf-8",
    extra_parts: str = "",
) -> bytes:
    encoded = base64.encodebytes(attachment).decode()
    return (
        "From: Dan <dan@example.org>\r\nTo: support@exchange.test\r\nSubject: wallet emptied\r\n"
        "Message-ID: <att-1@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0800\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
        f"{extra_parts}"
        f"--b1\r\nContent-Type: {content_type}; charset={charset}; name={filename}\r\n"
        f"Content-Disposition: attachment; filename={filename}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{encoded}\r\n--b1--\r\n"
    ).encode()


PNG = base64.b64encode(b"\x89PNG\r\n" + bytes(range(256))).decode()
PNG_PART = (
    "--b1\r\nContent-Type: image/png; name=shot.png\r\nContent-Disposition: attachment; filename=shot.png\r\n"
    f"Content-Transfer-Encoding: base64\r\n\r\n{PNG}\r\n"
)


@pytest.mark.parametrize(
    ("content_type", "filename", "charset", "content"),
    [
        ("text/plain", "wallet.txt", "utf-8", f"my wallet\n{EN12}\n"),
        (
            "text/csv",
            "backup.csv",
            "utf-8",
            "index,word\n" + "\n".join(f"{i},{w}" for i, w in enumerate(EN12.split(), 1)),
        ),
        ("application/octet-stream", "words.TXT", "utf-8", f"助记词：{ZH12}"),
        ("text/plain", "notes.txt", "gb18030", f"我的助记词是：{ZH12}\n"),
    ],
)
def test_a_seed_phrase_in_a_text_attachment_is_found_and_redacted(
    content_type: str, filename: str, charset: str, content: str
) -> None:
    raw = mail_with_attachment(
        "Everything is gone, see the file.", content.encode(charset), content_type, filename, charset
    )
    mail = parse_message(raw)
    assert [a.filename for a in mail.attachments] == [filename]
    assert mail.attachment_text == (content.replace("\r\n", "\n"),)
    redacted, secrets = redact_mail(mail)
    assert [(s.kind, s.field) for s in secrets] == [("seed_phrase", "attachment:0")]
    assert redacted.secrets == secrets and redacted.redacted
    words = EN12.split() if "legal" in content else ZH12.split()
    assert " ".join(words[:4]) not in redacted.attachment_text[0]
    assert "".join(words[:4]) not in redacted.attachment_text[0]
    assert "[REDACTED SEED PHRASE]" in redacted.attachment_text[0]
    assert redacted.text == mail.text  # the body held nothing


def test_only_text_attachments_are_read_and_kept_in_line_with_the_attachments() -> None:
    raw = mail_with_attachment("see both files", f"seed: {EN12}".encode(), extra_parts=PNG_PART)
    mail = parse_message(raw)
    assert [a.content_type for a in mail.attachments] == ["image/png", "text/plain"]
    assert mail.attachment_text == ("", f"seed: {EN12}")
    _, secrets = redact_mail(mail)
    assert [s.field for s in secrets] == ["attachment:1"]
    only_png = parse_message(mail_with_attachment("a screenshot", b"\x89PNG\r\n\x00\x01", "image/png", "shot.png"))
    assert only_png.attachment_text == ()


def test_attachment_text_is_bounded() -> None:
    big = ("x" * 99 + "\n") * 1000  # 100,000 bytes
    mail = parse_message(mail_with_attachment("a log", big.encode()))
    assert 60 * 1024 < len(mail.attachment_text[0]) <= 64 * 1024
    parts = "".join(
        f"--b1\r\nContent-Type: text/plain; name=f{i}.txt\r\nContent-Disposition: attachment; filename=f{i}.txt\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{base64.encodebytes(big.encode()).decode()}\r\n"
        for i in range(6)
    )
    many = parse_message(mail_with_attachment("logs", big.encode(), extra_parts=parts))
    assert len(many.attachment_text) == 7
    assert sum(map(len, many.attachment_text)) <= 256 * 1024
    assert many.attachment_text[-1] == ""  # the bound was reached before the last one
    limits = ParseLimits(25 << 20, 250, 20, 2000, 1000, 65536, 1_000_000, 5.0)
    small = parse_message(mail_with_attachment("a log", big.encode()), limits)
    assert len(small.attachment_text[0]) <= 2000  # never more than limits.max_text_chars


def test_attachment_text_is_never_the_customers_words() -> None:
    tx = "0x" + HEX
    raw = mail_with_attachment("I sent 500 USDT yesterday.", f"txid {tx}\norder W20261120143255781\n".encode())
    mail, secrets = redact_mail(parse_message(raw))
    assert secrets == () and tx in mail.attachment_text[0]
    assert tx not in classifier_text(mail)
    facts = facts_of_mail(mail, FactSettings(UTC))
    assert facts.tx_ids == () and facts.order_ids == ()


def test_a_mail_whose_only_secret_is_in_an_attachment_is_a_security_incident(offline_app: App) -> None:
    raw = mail_with_attachment("My wallet was emptied. My notes are attached.", f"backup words:\n{EN12}\n".encode())
    decision = decide_mail(
        parse_message(raw), Screening(None), Classification("account", 0.9, "account"), offline_app.policy
    )
    assert decision.security_incident
    assert [(s.kind, s.field) for s in decision.facts.secrets] == [("seed_phrase", "attachment:0")]


CHINESE_PHRASE = "的一是在不了有和人这中大为上个国"  # BIP39 Chinese words, written without separators


@pytest.mark.parametrize(
    "lead",
    ["recovery phrase：", "my secret recovery phrase is ", "mnemonic phrase 如下：「", "助记词：", "種子詞是："],
)
def test_chinese_phrase_after_a_long_cue_is_a_secret(lead: str) -> None:
    """A cue longer than 12 characters ("recovery phrase：") before a phrase of touching Chinese
    words: the phrase is removed (it was found only after cues that started within 12)."""
    text = f"{lead}{CHINESE_PHRASE}"
    redacted, secrets = redact(text)
    assert [s.kind for s in secrets] == ["seed_phrase"]
    assert CHINESE_PHRASE[:12] not in redacted


def test_chinese_prose_after_a_cue_is_not_a_phrase() -> None:
    text = f"recovery phrase 我忘了，{CHINESE_PHRASE}家"
    assert find_secrets(text) == ()
