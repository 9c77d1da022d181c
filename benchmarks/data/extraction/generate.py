#!/usr/bin/env python3
"""Deterministic generator for the inboxd extraction benchmark corpus.

Writes mails/NNN.eml and labels.jsonl next to this file.  Every run with the
same SEED reproduces the same bytes.  Only the standard library plus
mnemonic, base58, bech32 and pycryptodome are used.

All hashes, addresses, keys, seed phrases, passwords and codes written by
this script are freshly generated random test values.  They control no
funds and belong to nobody.

Template mini-language (used in the scenario texts at the bottom):
  [[a|b|c]]                 pick one variant at random (never holds labels)
  {{surface|value|ASSET|NET}}  an amount; rendered as `surface`, labelled
                            as value/asset/network ("-" = null).  Several
                            alternatives may be separated by "//"
  {kind:spec}               a generated value, see Ctx.token().  A spec
                            "a/b" picks alternative number (instance % 2);
                            "spec#k" reuses the same value for key k.
Labelled kinds: tx ord addr bad seed pk pw bk uid email phone.
Unlabelled kinds (quotes, signatures, negatives): ntx nord naddr nphone
nemail hex HEX b58 b64 code6 digits pgp same ticket first last ...
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import quopri
import random
import re
import struct
import zlib
from pathlib import Path

import base58
import bech32
from Crypto.Hash import keccak
from mnemonic import Mnemonic

SEED = 20261120
OUT = Path(__file__).resolve().parent
MAILS = OUT / "mails"
SUPPORT = "support@exchange.example"
R = random.Random(SEED)

# --------------------------------------------------------------------------
# crypto helpers
# --------------------------------------------------------------------------
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH = bech32.CHARSET
BECH32M_CONST = 0x2BC830A3
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def keccak256(data: bytes) -> bytes:
    h = keccak.new(digest_bits=256)
    h.update(data)
    return h.digest()


def to_eip55(hex40: str) -> str:
    hex40 = hex40.lower()
    digest = keccak256(hex40.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if c in "abcdef" and int(digest[i], 16) >= 8 else c for i, c in enumerate(hex40))


def bech32m_encode(hrp: str, witver: int, prog: bytes) -> str:
    data = [witver] + bech32.convertbits(list(prog), 8, 5)
    values = bech32.bech32_hrp_expand(hrp) + data
    polymod = bech32.bech32_polymod(values + [0] * 6) ^ BECH32M_CONST
    chk = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH[d] for d in data + chk)


def segwit_decode(addr: str):
    if addr.lower() != addr and addr.upper() != addr:
        return None
    a = addr.lower()
    pos = a.rfind("1")
    if pos < 1 or a[:pos] != "bc" or len(a) - pos < 8:
        return None
    data = [BECH.find(c) for c in a[pos + 1 :]]
    if -1 in data:
        return None
    const = bech32.bech32_polymod(bech32.bech32_hrp_expand("bc") + data)
    ver = data[0]
    if ver > 16 or const != (1 if ver == 0 else BECH32M_CONST):
        return None
    prog = bech32.convertbits(data[1:-6], 5, 8, False)
    if prog is None or not 2 <= len(prog) <= 40:
        return None
    if ver == 0 and len(prog) not in (20, 32):
        return None
    return ver, bytes(prog)


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
        return segwit_decode(a) is not None
    if a[:1] in ("1", "3", "T"):
        try:
            raw = base58.b58decode_check(a)
        except ValueError:
            return False
        want = {"1": 0x00, "3": 0x05, "T": 0x41}[a[0]]
        return len(raw) == 21 and raw[0] == want
    return False


# --------------------------------------------------------------------------
# value generators
# --------------------------------------------------------------------------
USED: set = set()


def fresh(fn):
    for _ in range(1000):
        v = fn()
        if v not in USED:
            USED.add(v)
            return v
    raise RuntimeError("could not make a fresh value")


def g_hex(nbytes: int) -> str:
    return R.randbytes(nbytes).hex()


def g_digits(n: int) -> str:
    return str(R.randint(1, 9)) + "".join(str(R.randint(0, 9)) for _ in range(n - 1))


def g_alnum(n: int, alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789") -> str:
    return "".join(R.choice(alphabet) for _ in range(n))


def g_evm_addr(checksum=True) -> str:
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


def g_bc1q(n=20) -> str:
    return bech32.encode("bc", 0, list(R.randbytes(n)))


def g_bc1p() -> str:
    return bech32m_encode("bc", 1, R.randbytes(32))


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


def mistype(addr: str):
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


def g_seed(spec: str):
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


PW_WORDS = [
    "abc",
    "qwe",
    "zhang",
    "lili",
    "wang",
    "tiger",
    "sunny",
    "love",
    "happy",
    "xiaoming",
    "dragon",
    "asd",
    "chen",
    "monkey",
    "maria",
    "jack",
]


def g_password(kind: str) -> str:
    if kind == "pin6":
        return "".join(str(R.randint(0, 9)) for _ in range(6))
    if kind == "simple":
        return R.choice(PW_WORDS) + "".join(str(R.randint(0, 9)) for _ in range(R.choice([4, 5, 6])))
    up, lo, dg, sy = "ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789", "!@#$%*?_"
    body = [R.choice(up), R.choice(lo), R.choice(dg), R.choice(sy)]
    body += [R.choice(up + lo + dg + sy) for _ in range(R.randint(6, 9))]
    R.shuffle(body)
    s = R.choice(up) + "".join(body) + R.choice(dg)
    return s


def g_backup(kind: str) -> str:
    if kind == "dash":
        a = "abcdefghjkmnpqrstuvwxyz23456789"
        return g_alnum(4, a) + "-" + g_alnum(4, a)
    if kind == "d8":
        return "".join(str(R.randint(0, 9)) for _ in range(4)) + " " + "".join(str(R.randint(0, 9)) for _ in range(4))
    b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    s = g_alnum(16, b32)
    if kind == "b32g":
        return " ".join(s[i : i + 4] for i in range(0, 16, 4))
    return s


def g_order(spec: str, when: dt.datetime) -> str:
    if spec.startswith("n") and spec[1:].isdigit():
        return g_digits(int(spec[1:]))
    if spec == "wd":  # W + timestamp + random
        return "W" + when.strftime("%Y%m%d%H%M%S") + g_digits(4)
    if spec == "ax":
        return g_alnum(20, "ABCDEF0123456789GHJKMNPQRSTVWXYZ")
    if spec == "uuid":
        h = g_hex(16)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
    if spec == "otc":
        return f"OTC-{when:%Y%m%d}-{g_digits(4)}"
    if spec == "ref":
        return "TX" + g_alnum(10, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
    if spec == "c2c":
        return g_digits(19)
    raise ValueError(spec)


def g_phone(spec: str) -> str:
    d = lambda n: "".join(str(R.randint(0, 9)) for _ in range(n))
    if spec == "cn":
        return "+86 138 0013 8" + d(3)
    if spec == "cn2":
        return "1380013" + "8" + d(3)
    if spec == "cn3":
        return "138-0013-8" + d(3)
    if spec == "us":
        return f"+1 (555) 01{d(1)}-{d(4)}"
    if spec == "us2":
        return f"(555) 01{d(1)}-{d(4)}"
    if spec == "uk":
        return "+44 7700 900" + d(3)
    raise ValueError(spec)


def g_pgp_block() -> str:
    raw = R.randbytes(R.choice([438, 566]))
    b = base64.b64encode(raw).decode()
    lines = [b[i : i + 64] for i in range(0, len(b), 64)]
    crc = base64.b64encode(R.randbytes(3)).decode()
    return "\n".join(lines) + "\n=" + crc


def g_b64(n: int) -> str:
    a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return g_alnum(n, a)


def g_b58(n: int) -> str:
    return g_alnum(n, B58)


# --------------------------------------------------------------------------
# personas
# --------------------------------------------------------------------------
EN_FIRST = [
    "James",
    "Emily",
    "Daniel",
    "Sophie",
    "Lucas",
    "Olivia",
    "Mateo",
    "Hannah",
    "Ahmed",
    "Priya",
    "Tom",
    "Laura",
    "Kevin",
    "Maria",
    "Ivan",
    "Chloe",
    "Ryan",
    "Nina",
    "Oliver",
    "Grace",
    "Samuel",
    "Fatima",
    "Jonas",
    "Elena",
]
EN_LAST = [
    "Miller",
    "Nguyen",
    "Schmidt",
    "Okafor",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Patel",
    "Johnson",
    "Silva",
    "Fischer",
    "Novak",
    "Brown",
    "Tanaka",
    "Dubois",
    "Morgan",
]
ZH_SUR = [
    ("张", "zhang"),
    ("王", "wang"),
    ("李", "li"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("赵", "zhao"),
    ("黄", "huang"),
    ("周", "zhou"),
    ("吴", "wu"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("胡", "hu"),
    ("朱", "zhu"),
    ("林", "lin"),
    ("郭", "guo"),
]
ZH_GIVEN = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("磊", "lei"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("晓东", "xiaodong"),
    ("子轩", "zixuan"),
    ("雨涵", "yuhan"),
    ("浩然", "haoran"),
    ("欣怡", "xinyi"),
    ("建国", "jianguo"),
    ("丽华", "lihua"),
    ("志强", "zhiqiang"),
]
EN_COMPANY = [
    ("Northwind Capital Ltd", "northwind-capital.example", "Head of Treasury"),
    ("Blue Harbor Trading LLC", "blueharbor-trading.example", "Operations Manager"),
    ("Kestrel Digital GmbH", "kestrel-digital.example", "Finance Lead"),
    ("Aldgate Ventures", "aldgate-ventures.example", "Partner"),
]
ZH_COMPANY = [
    ("深圳市恒达贸易有限公司", "hengda-trade.example", "采购经理"),
    ("杭州云启科技有限公司", "yunqi-tech.example", "财务主管"),
    ("上海锦程投资管理有限公司", "jincheng-invest.example", "投资总监"),
]
EN_AGENTS = ["Anna", "Daniel", "Maria", "Kevin", "Sofia", "Marcus"]
ZH_AGENTS = ["小雨", "阿杰", "Lily", "小周", "安娜"]


class Persona:
    def __init__(self, lang: str, profile: str):
        self.lang = lang
        if lang == "en":
            self.first, self.last = R.choice(EN_FIRST), R.choice(EN_LAST)
            self.display = f"{self.first} {self.last}"
            local = R.choice(
                [
                    f"{self.first}.{self.last}",
                    f"{self.first[0]}{self.last}",
                    f"{self.first}{self.last}{R.randint(70, 99)}",
                ]
            ).lower()
            dom = {
                "gmail": "gmail.example",
                "gmail_us": "gmail.example",
                "ios": "icloud.example",
                "outlook": None,
                "outlook_new": "outlook.example",
                "outlook_android": "hotmail.example",
                "thunderbird": "posteo.example",
                "proton": "proton.example",
                "yahoo": "yahoo.example",
                "mutt": "fastmail.example",
            }[profile]
            self.company = R.choice(EN_COMPANY)
            if dom is None:
                dom = self.company[1]
        else:
            (s, sp), (g, gp) = R.choice(ZH_SUR), R.choice(ZH_GIVEN)
            self.first, self.last = g, s
            self.display = s + g
            self.pinyin = sp + gp
            self.company = R.choice(ZH_COMPANY)
            if profile == "qq":
                local, dom = g_digits(R.choice([9, 10])), "qq.example"
            elif profile == "foxmail":
                local, dom = self.pinyin, self.company[1]
            elif profile == "netease":
                local, dom = self.pinyin + str(R.randint(1975, 2003)), R.choice(["163.example", "126.example"])
            elif profile == "sina":
                local, dom = self.pinyin + g_digits(3), "sina.example"
            elif profile == "outlook_zh":
                local, dom = self.pinyin, self.company[1]
            else:
                local, dom = (
                    self.pinyin + str(R.randint(80, 99)),
                    R.choice(["gmail.example", "icloud.example", "163.example"]),
                )
        self.email = f"{local}@{dom}"


# --------------------------------------------------------------------------
# small MIME helpers (hand-built so output is byte-stable and client-like)
# --------------------------------------------------------------------------
def enc_words(text: str, charset: str, mode="B", maxlen=75) -> str:
    if all(ord(c) < 128 for c in text) and mode != "force":
        return text
    if mode == "force":
        mode = "B"
    pycs = {"gbk": "gbk", "gb18030": "gb18030", "gb2312": "gb2312"}.get(charset.lower(), "utf-8")

    def make(chunk):
        raw = chunk.encode(pycs)
        if mode == "B":
            return f"=?{charset}?B?{base64.b64encode(raw).decode()}?="
        q = "".join(
            chr(b) if (chr(b).isalnum() and b < 128) or chr(b) in "!*+-/" else "_" if b == 32 else f"={b:02X}"
            for b in raw
        )
        return f"=?{charset}?Q?{q}?="

    words, cur = [], ""
    for ch in text:
        if cur and len(make(cur + ch)) > maxlen:
            words.append(make(cur))
            cur = ch
        else:
            cur += ch
    words.append(make(cur))
    return "\n ".join(words)


def fold(name: str, value: str) -> str:
    """Fold long header values at spaces (value may already contain folds)."""
    line = f"{name}: {value}"
    if len(line) <= 78 or "\n" in value:
        return line
    parts = value.split(" ")
    out, cur = [], f"{name}:"
    for p in parts:
        if len(cur) + 1 + len(p) > 76 and cur != f"{name}:":
            out.append(cur)
            cur = " " + p
        else:
            cur += " " + p
    out.append(cur)
    return "\n".join(out)


def encode_body(text: str, charset: str, cte: str) -> bytes:
    pycs = {"gbk": "gbk", "gb18030": "gb18030", "gb2312": "gb2312", "us-ascii": "ascii"}.get(charset.lower(), "utf-8")
    raw = text.encode(pycs)
    if cte == "base64":
        return base64.encodebytes(raw)
    if cte == "quoted-printable":
        return quopri.encodestring(raw)
    return raw


class Leaf:
    def __init__(self, headers, body: bytes):
        self.headers, self.body = headers, body


class Multi:
    def __init__(self, subtype, boundary, parts, preamble=None, extra=None):
        self.subtype, self.boundary, self.parts = subtype, boundary, parts
        self.preamble, self.extra = preamble, extra or []


def text_leaf(text, subtype, charset, cte, ctype_style=0):
    if ctype_style == 1:
        ct = f'Content-Type: text/{subtype};\n\tcharset="{charset}"'
    elif ctype_style == 2:
        ct = f"Content-Type: text/{subtype}; charset={charset}"
    elif ctype_style == 3:
        ct = f"Content-Type: text/{subtype}; charset={charset}; format=flowed"
    else:
        ct = f'Content-Type: text/{subtype}; charset="{charset}"'
    hdrs = [ct]
    if cte:
        hdrs.append(f"Content-Transfer-Encoding: {cte}")
    if not text.endswith("\n"):
        text += "\n"
    return Leaf(hdrs, encode_body(text, charset, cte or "7bit"))


def render_part(p) -> bytes:
    if isinstance(p, Leaf):
        return ("\n".join(p.headers) + "\n\n").encode("ascii") + p.body
    out = [f'Content-Type: multipart/{p.subtype};\n\tboundary="{p.boundary}"'.encode()]
    out += [h.encode() for h in p.extra]
    buf = b"\n".join(out) + b"\n\n"
    if p.preamble:
        buf += p.preamble.encode() + b"\n\n"
    for sub in p.parts:
        body = render_part(sub)
        if not body.endswith(b"\n"):
            body += b"\n"
        buf += f"--{p.boundary}\n".encode() + body + b"\n"
    buf += f"--{p.boundary}--\n".encode()
    return buf


def make_png(w=96, h=64) -> bytes:
    bg = (R.choice([245, 250, 255]),) * 3
    accent = (R.randint(0, 80), R.randint(100, 200), R.randint(120, 255))
    bars = sorted(R.sample(range(8, h - 8, 6), 5))
    rows = []
    for y in range(h):
        row = bytearray(b"\x00")
        for x in range(w):
            if y < 6:
                px = accent
            elif y in bars and 6 < x < w - 10:
                px = (120, 120, 120)
            else:
                px = bg
            row += bytes(px)
        rows.append(bytes(row))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def make_pdf(title: str) -> bytes:
    stream = (
        f"BT /F1 14 Tf 72 740 Td ({title}) Tj ET\nBT /F1 9 Tf 72 720 Td (Generated {g_digits(10)}) Tj ET\n"
    ).encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offs)
    fid = g_hex(16).upper().encode()
    out += (
        b"trailer\n<< /Size %d /Root 1 0 R /ID [<" % (len(objs) + 1)
        + fid
        + b"><"
        + fid
        + b">] >>\nstartxref\n%d\n%%%%EOF\n" % xref
    )
    return out


def attach_leaf(kind: str, filename: str, style: int, cs: str = "UTF-8", cid=None) -> Leaf:
    data = make_png(R.choice([96, 120]), R.choice([64, 80])) if kind == "png" else make_pdf("Transaction record")
    ctype = "image/png" if kind == "png" else "application/pdf"
    ascii_name = all(ord(c) < 128 for c in filename)
    if ascii_name:
        hdrs = [
            f'Content-Type: {ctype}; name="{filename}"',
            f'Content-Disposition: {"inline" if cid else "attachment"}; filename="{filename}"',
        ]
    elif style == 0:  # RFC 2047 in quotes, as QQ/Foxmail/Outlook do
        ew = enc_words(filename, cs, "force")
        hdrs = [f'Content-Type: {ctype};\n\tname="{ew}"', f'Content-Disposition: attachment;\n\tfilename="{ew}"']
    else:  # RFC 2231 as Thunderbird/Apple do
        pct = "".join(
            c if c.isascii() and (c.isalnum() or c in "._-") else "".join(f"%{b:02X}" for b in c.encode())
            for c in filename
        )
        hdrs = [
            f"Content-Type: {ctype}; name*=UTF-8''{pct}",
            f"Content-Disposition: attachment; filename*=UTF-8''{pct}",
        ]
    hdrs.append("Content-Transfer-Encoding: base64")
    if cid:
        hdrs.append(f"Content-ID: <{cid}>")
    return Leaf(hdrs, base64.encodebytes(data))


# --------------------------------------------------------------------------
# template rendering and labels
# --------------------------------------------------------------------------
AMT_RE = re.compile(r"\{\{(.+?)\}\}", re.S)
VAR_RE = re.compile(r"\[\[(.+?)\]\]", re.S)
TOK_RE = re.compile(r"\{([A-Za-z_]\w*)(?::([^{}\s]*))?\}")
VALUE_RE = re.compile(r"^(0|[1-9]\d*)(\.\d*[1-9])?$")
LABELLED = {"tx", "ord", "addr", "bad", "seed", "pk", "pw", "bk", "uid", "email", "phone"}
TX_CHAIN = {
    "evm": "evm",
    "EVM": "evm",
    "btc": "bitcoin",
    "tron": "tron",
    "hex": "unknown",
    "HEX": "unknown",
    "sol": "solana",
}
EMAIL_DOMS = [
    "gmail.example",
    "outlook.example",
    "qq.example",
    "163.example",
    "icloud.example",
    "proton.example",
    "yahoo.example",
    "126.example",
]


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


class Ctx:
    def __init__(self, lang, k, persona, when, ticket, agent):
        self.lang, self.k, self.p, self.when = lang, k, persona, when
        self.ticket, self.agent = ticket, agent
        self.labels = {"tx_ids": [], "order_ids": [], "amounts": [], "addresses": [], "secrets": [], "account_ids": []}
        self.cache = {}
        self.notes = []
        self.qdate = when

    def add(self, field, obj):
        if obj not in self.labels[field]:
            self.labels[field].append(obj)

    def render(self, text: str, labelled: bool) -> str:
        text = VAR_RE.sub(lambda m: R.choice(m.group(1).split("|")), text)

        def amt(m):
            alts = m.group(1).split("//")
            surface, value, asset, net = alts[self.k % len(alts)].split("|")
            assert VALUE_RE.match(value), value
            if labelled:
                self.add("amounts", {"value": value, "asset": asset, "network": None if net == "-" else net})
            return surface

        text = AMT_RE.sub(amt, text)
        return TOK_RE.sub(lambda m: self.token(m.group(1), m.group(2) or "", labelled), text)

    def token(self, kind, spec, labelled):
        key = None
        if "#" in spec:
            spec, key = spec.split("#", 1)
        if "/" in spec:
            alts = spec.split("/")
            spec = alts[self.k % len(alts)]
        if kind in LABELLED and not labelled:
            raise ValueError(f"labelled token {kind}:{spec} in unlabelled text")
        if kind == "same":
            return self.cache[spec]
        if key is not None and key in self.cache:
            return self.cache[key]
        val = self.make(kind, spec)
        if key is not None:
            self.cache[key] = val
        return val

    def make(self, kind, spec):
        p = self.p
        if kind in ("tx", "ntx"):
            v = fresh(lambda: g_tx(spec))
            if kind == "tx":
                self.add("tx_ids", {"value": v, "chain": TX_CHAIN[spec]})
            return v
        if kind in ("ord", "nord"):
            v = fresh(lambda: g_order(spec, self.when))
            if kind == "ord":
                self.labels["order_ids"].append(v) if v not in self.labels["order_ids"] else None
            return v
        if kind in ("addr", "naddr", "bad"):
            fn, chain = ADDR_GEN[spec]
            v = fresh(fn)
            assert address_valid(v), v
            if kind == "bad":
                v, desc = mistype(v)
                USED.add(v)
                self.notes.append(f"invalid {chain} address {v[:8]}…: {desc}")
            if kind != "naddr":
                self.add("addresses", {"value": v, "chain": chain, "valid": kind == "addr"})
            return v
        if kind == "seed":
            full, span = g_seed(spec)
            self.add("secrets", {"kind": "seed_phrase", "text": span})
            self.notes.append(f"seed phrase {spec}")
            return full
        if kind == "pk":
            key = g_privkey()
            while spec == "wifK" and not wif(key, True).startswith("K"):
                key = g_privkey()
            v = {
                "hex": key.hex(),
                "0xhex": "0x" + key.hex(),
                "wif5": wif(key, False),
                "wifc": wif(key, True),
                "wifK": wif(key, True),
            }[spec]
            self.add("secrets", {"kind": "private_key", "text": v})
            self.notes.append(f"private key ({spec})")
            return v
        if kind == "pw":
            v = fresh(lambda: g_password(spec))
            self.add("secrets", {"kind": "password", "text": v})
            return v
        if kind == "bk":
            v = fresh(lambda: g_backup(spec))
            self.add("secrets", {"kind": "backup_code", "text": v})
            return v
        if kind in ("uid", "nuid"):
            v = fresh(lambda: g_digits(int(spec) if spec else R.choice([8, 9, 10])))
            if kind == "uid":
                self.add("account_ids", {"kind": "uid", "value": v})
            return v
        if kind in ("email", "nemail"):
            if spec == "me":
                v = p.email
            else:
                base = p.pinyin if p.lang == "zh" else (p.first + "." + p.last).lower()
                v = fresh(lambda: f"{base}{R.randint(1, 999)}@{R.choice(EMAIL_DOMS)}")
            if kind == "email":
                self.add("account_ids", {"kind": "email", "value": v})
            return v
        if kind in ("phone", "nphone"):
            v = fresh(lambda: g_phone(spec))
            if kind == "phone":
                self.add("account_ids", {"kind": "phone", "value": v})
            return v
        # ---- unlabelled helpers ----
        if kind == "hex":
            return fresh(lambda: g_hex(int(spec) // 2))
        if kind == "HEX":
            return fresh(lambda: g_hex(int(spec) // 2).upper())
        if kind == "b58":
            return g_b58(int(spec))
        if kind == "b64":
            return g_b64(int(spec))
        if kind == "code6":
            return "".join(str(R.randint(0, 9)) for _ in range(6))
        if kind == "digits":
            return g_digits(int(spec))
        if kind == "pgp":
            return g_pgp_block()
        if kind == "fpr":
            return " ".join(g_hex(2).upper() for _ in range(10))
        if kind == "ts":
            return str(int(self.when.timestamp()) - R.randint(600, 9000))
        if kind == "tsms":
            return str((int(self.when.timestamp()) - R.randint(60, 900)) * 1000 + R.randint(0, 999))
        if kind in ("ago", "ago_dmy", "ago_zh", "ago_zhy", "ago_mon", "qago"):
            base = self.qdate if kind == "qago" else self.when
            d = base - dt.timedelta(days=int(spec))
            return {
                "ago": f"{d:%Y-%m-%d}",
                "qago": f"{d:%Y-%m-%d}",
                "ago_dmy": f"{d:%d/%m/%Y}",
                "ago_zh": f"{d.month}月{d.day}日",
                "ago_zhy": f"{d.year}年{d.month}月{d.day}日",
                "ago_mon": f"{MON[d.month - 1]} {d.day}",
            }[kind]
        if kind == "ticket":
            return self.ticket
        if kind == "agent":
            return self.agent
        if kind == "first":
            return p.first
        if kind == "last":
            return p.last
        if kind == "name":
            return p.display
        if kind == "myemail":
            return p.email
        if kind == "company":
            return p.company[0]
        if kind == "weburl":
            return "https://www." + p.company[1]
        if kind == "ip":
            return f"{R.randint(11, 223)}.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}"
        raise ValueError(kind)


# --------------------------------------------------------------------------
# dates and client-specific quoting
# --------------------------------------------------------------------------
WD = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WDF = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONF = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WDZ = "一二三四五六日"


def ampm(d):
    return f"{d.hour % 12 or 12}:{d.minute:02d} {'AM' if d.hour < 12 else 'PM'}"


def rfc2822(d):
    off = d.utcoffset()
    mins = int(off.total_seconds() // 60)
    sign = "+" if mins >= 0 else "-"
    mins = abs(mins)
    return (
        f"{WD[d.weekday()]}, {d.day} {MON[d.month - 1]} {d.year} "
        f"{d.hour:02d}:{d.minute:02d}:{d.second:02d} {sign}{mins // 60:02d}{mins % 60:02d}"
    )


def ordinal(n):
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def attribution(st, q):
    d, name, addr = q["date"], q["name"], q["addr"]
    hm = f"{d.hour:02d}:{d.minute:02d}"
    if st in ("gmail", "gmail_zh_en"):
        return f"On {WD[d.weekday()]}, {d.day} {MON[d.month - 1]} {d.year} at {hm}, {name} <{addr}> wrote:"
    if st == "gmail_us":
        return f"On {WD[d.weekday()]}, {MON[d.month - 1]} {d.day}, {d.year} at {ampm(d)} {name} <{addr}> wrote:"
    if st == "ios":
        return f"On {MON[d.month - 1]} {d.day}, {d.year}, at {hm}, {name} <{addr}> wrote:"
    if st == "thunderbird":
        return f"On {d.day:02d}/{d.month:02d}/{d.year} {hm}, {name} wrote:"
    if st == "mutt":
        return (
            f"On {WD[d.weekday()]}, {MON[d.month - 1]} {d.day:02d}, {d.year} at "
            f"{d.hour % 12 or 12:02d}:{d.minute:02d}:{d.second:02d}{'AM' if d.hour < 12 else 'PM'} +0000, {name} wrote:"
        )
    if st == "proton":
        return (
            f"On {WDF[d.weekday()]}, {MONF[d.month - 1]} {d.day}{ordinal(d.day)}, {d.year} at "
            f"{ampm(d)}, {name} <{addr}> wrote:"
        )
    if st == "yahoo":
        return (
            f"On {WDF[d.weekday()]}, {MONF[d.month - 1]} {d.day}, {d.year} at "
            f"{d.hour % 12 or 12:02d}:{d.minute:02d}:{d.second:02d} {'AM' if d.hour < 12 else 'PM'} GMT, {name} <{addr}> wrote:"
        )
    if st == "netease":
        return f'在 {d:%Y-%m-%d %H:%M:%S}，"{name}" <{addr}> 写道：'
    if st == "ios_zh":
        return f"在 {d.year}年{d.month}月{d.day}日 {hm}，{name} <{addr}> 写道："
    if st == "gmail_zh":
        return f"{name} <{addr}> 于{d.year}年{d.month}月{d.day}日周{WDZ[d.weekday()]} {hm}写道："
    raise ValueError(st)


def header_block(st, q):
    d = q["date"]
    if st in ("outlook", "outlook_new", "outlook_android"):
        to = f"{q['to_name']} <{q['to_addr']}>" if st != "outlook_android" else q["to_addr"]
        sent = f"{WDF[d.weekday()]}, {MONF[d.month - 1]} {d.day}, {d.year} {ampm(d)}"
        lead = "-----Original Message-----" if st == "outlook" else "________________________________"
        return f"{lead}\nFrom: {q['name']} <{q['addr']}>\nSent: {sent}\nTo: {to}\nSubject: {q['subject']}"
    if st == "outlook_zh":
        return (
            f"-----原始邮件-----\n发件人: {q['name']} <{q['addr']}>\n"
            f"发送时间: {d.year}年{d.month}月{d.day}日 {d.hour}:{d.minute:02d}\n"
            f"收件人: {q['to_name']} <{q['to_addr']}>\n主题: {q['subject']}"
        )
    if st == "qq":
        ap = "上午" if d.hour < 12 else "下午"
        return (
            f'------------------ 原始邮件 ------------------\n发件人: "{q["name"]}"<{q["addr"]}>;\n'
            f"发送时间: {d.year}年{d.month}月{d.day}日(星期{WDZ[d.weekday()]}) {ap}{d.hour % 12 or 12}:{d.minute:02d}\n"
            f'收件人: "{q["to_name"]}"<{q["to_addr"]}>;\n\n主题: {q["subject"]}'
        )
    if st == "foxmail":
        return f"发件人： {q['name']}\n发送时间： {d:%Y-%m-%d %H:%M}\n收件人： {q['to_name']}\n主题： {q['subject']}"
    if st == "mobile_zh":
        return (
            f"-------- 原始邮件 --------\n发件人：{q['name']} <{q['addr']}>\n"
            f"时间：{d.year}年{d.month}月{d.day}日周{WDZ[d.weekday()]} {d:%H:%M}\n"
            f"收件人：{q['to_name']} <{q['to_addr']}>\n主题：{q['subject']}"
        )
    if st == "sina":
        return (
            f'----- 原始邮件 -----\n发件人："{q["name"]}" <{q["addr"]}>\n'
            f"收件人：<{q['to_addr']}>\n主题：{q['subject']}\n日期：{d:%Y年%m月%d日 %H点%M分}"
        )
    raise ValueError(st)


def prefix(text, p="> "):
    out = []
    for line in text.split("\n"):
        if not line:
            out.append(p.rstrip())
        elif line.startswith(">"):
            out.append(p.rstrip() + line)
        else:
            out.append(p + line)
    return "\n".join(out)


def compose_plain(st, new, sig, q, bottom):
    parts = [new]
    if st in ("gmail", "gmail_us", "gmail_zh", "proton"):
        if sig:
            parts.append(sig)
        if q:
            parts.append(attribution(st, q) + "\n\n" + prefix(q["text"]))
    elif st in ("ios", "ios_zh"):
        parts.append(sig)
        if q:
            parts.append(prefix(attribution(st, q) + "\n\n" + q["text"]))
    elif st in ("outlook", "outlook_new", "outlook_android", "outlook_zh", "mobile_zh", "sina"):
        if sig:
            parts.append(sig)
        if q:
            parts.append(header_block(st, q) + "\n\n" + q["text"])
    elif st == "qq":
        if sig:
            parts.append(sig)
        if q:
            parts.append("\n" + header_block(st, q) + "\n\n\n\n" + q["text"])
    elif st == "foxmail":
        parts.append("\n" + sig)
        if q:
            parts.append(" \n" + header_block(st, q) + "\n" + q["text"])
    elif st == "netease":
        if sig:
            parts.append(sig)
        if q:
            parts.append("\n\n\n\n" + attribution(st, q) + "\n" + prefix(q["text"], ">"))
    elif st in ("thunderbird", "mutt", "yahoo"):
        if q and bottom:
            lead = attribution(st, q) + "\n" + prefix(q["text"])
            return lead + "\n\n" + new + ("\n\n" + sig if sig else "")
        if sig:
            parts.append(sig)
        if q:
            parts.append(attribution(st, q) + "\n" + prefix(q["text"]))
    else:
        raise ValueError(st)
    return "\n\n".join(parts)


URL_RE = re.compile(r"https?://[^\s<>\"，。）)]+")


def hx(line: str) -> str:
    esc = html.escape(line, quote=False)
    return URL_RE.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', esc)


def divs(text, tag="div", attrs=""):
    return "".join(f"<{tag}{attrs}>{hx(line) if line.strip() else '<br>'}</{tag}>" for line in text.split("\n"))


def qhtml(text, bq):
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        if lines[i].startswith(">"):
            inner = []
            while i < len(lines) and lines[i].startswith(">"):
                line = lines[i][1:]
                inner.append(line[1:] if line.startswith(" ") else line)
                i += 1
            out.append(bq + qhtml("\n".join(inner), bq) + "</blockquote>")
        else:
            out.append(f"<div>{hx(lines[i]) if lines[i].strip() else '<br>'}</div>")
            i += 1
    return "".join(out)


GMAIL_BQ = (
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
    'border-left:1px solid rgb(204,204,204);padding-left:1ex">'
)
OUTLOOK_CSS = """<style><!--
/* Font Definitions */
@font-face
	{font-family:"Cambria Math";
	panose-1:2 4 5 3 5 4 6 3 2 4;}
@font-face
	{font-family:Aptos;}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
	{margin:0cm;
	font-size:12.0pt;
	font-family:"Aptos",sans-serif;}
a:link, span.MsoHyperlink
	{mso-style-priority:99;
	color:#467886;
	text-decoration:underline;}
@page WordSection1
	{size:612.0pt 792.0pt;
	margin:72.0pt 72.0pt 72.0pt 72.0pt;}
div.WordSection1
	{page:WordSection1;}
--></style>"""


def mso(text):
    return "\n".join(
        f'<p class="MsoNormal">{hx(l)}<o:p></o:p></p>' if l.strip() else '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        for l in text.split("\n")
    )


def compose_html(st, new, sig, q, charset):
    e = lambda s: html.escape(s, quote=False)
    if st in ("gmail", "gmail_us", "gmail_zh"):
        body = f'<div dir="ltr">{divs(new)}'
        if sig:
            sl = sig.split("\n")
            if sl[0].strip() == "--":
                sl = sl[1:]
            body += (
                '<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br>'
                '<div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature"><div dir="ltr">'
                + "<br>".join(hx(l) for l in sl)
                + "</div></div>"
            )
        body += "</div>"
        if q:
            body += (
                '<br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
                + e(attribution(st, q))
                + "<br></div>"
                + GMAIL_BQ
                + qhtml(q["text"], GMAIL_BQ)
                + "</blockquote></div>"
            )
        return body + "\n"
    if st in ("outlook", "outlook_new", "outlook_android", "outlook_zh"):
        zh = st == "outlook_zh"
        out = [
            '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" '
            'xmlns="http://www.w3.org/TR/REC-html40">',
            "<head>",
            f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">',
            '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">',
            OUTLOOK_CSS,
            "</head>",
            f'<body lang="{"ZH-CN" if zh else "EN-US"}" link="#467886" vlink="#96607D" style="word-wrap:break-word">',
            '<div class="WordSection1">',
            mso(new),
        ]
        if sig:
            out += ['<p class="MsoNormal"><o:p>&nbsp;</o:p></p>', mso(sig)]
        if q:
            hb = header_block(st, q).split("\n")[1:]
            labels = [h.split(":", 1) for h in hb]
            inner = "<br>\n".join(f"<b>{e(k)}:</b> {e(v.strip())}" for k, v in labels)
            out += [
                '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>',
                '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">',
                f'<p class="MsoNormal">{inner}<o:p></o:p></p>',
                "</div>",
                '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>',
                mso(q["text"]),
            ]
        out += ["</div>", "</body>", "</html>"]
        return "\n".join(out) + "\n"
    if st == "qq":
        body = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">{divs(new)}'
        if sig:
            body += "<div><br></div>" + divs(sig)
        if q:
            hb = header_block(st, q).split("\n")[1:]
            rows = "".join(
                f"<div><b>{e(k)}:</b>&nbsp;{e(v.strip())}</div>" if k else "<div></div>"
                for k, v in (h.split(":", 1) if ":" in h else ("", "") for h in hb)
            )
            body += (
                '<div><br></div><div><br></div><div style="font-size: 12px;font-family: Arial Narrow;'
                'padding:2px 0 2px 0;">------------------&nbsp;原始邮件&nbsp;------------------</div>'
                f'<div style="font-size: 12px;background:#efefef;padding:8px;">{rows}</div><div><br></div>'
                + qhtml(q["text"], "<blockquote>")
            )
        return body + "\n"
    if st == "foxmail":
        body = (
            f'<html><head><meta http-equiv="content-type" content="text/html; charset={charset}">'
            "<style>body { line-height: 1.5; }body { font-size: 10.5pt; font-family: 微软雅黑; "
            "color: rgb(0, 0, 0); line-height: 1.5; }</style></head><body>\n"
            + "".join(f"<div><span></span>{hx(l) if l.strip() else '<br>'}</div>\n" for l in new.split("\n"))
            + '<div><br></div><hr style="width: 210px; height: 1px;" color="#b5c4df" size="1" align="left">\n'
            f'<div><span><div style="MARGIN: 10px; FONT-FAMILY: verdana; FONT-SIZE: 10pt"><div>{e(sig)}</div></div></span></div>\n'
        )
        if q:
            hb = header_block(st, q).split("\n")
            rows = "".join(f"<div><b>{e(k)}：</b>&nbsp;{e(v.strip())}</div>" for k, v in (h.split("：", 1) for h in hb))
            body += (
                '<blockquote style="margin-Top: 0px; margin-Bottom: 0px; margin-Left: 0.5em; margin-Right: inherit">'
                '<div>&nbsp;</div><div style="border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
                '<div style="PADDING-RIGHT: 8px; PADDING-LEFT: 8px; FONT-SIZE: 12px;FONT-FAMILY:tahoma;COLOR:#000000; '
                f'BACKGROUND: #efefef; PADDING-BOTTOM: 8px; PADDING-TOP: 8px">{rows}</div></div>\n'
                f"<div>{qhtml(q['text'], '<blockquote>')}</div></blockquote>\n"
            )
        return body + "</body></html>\n"
    if st == "netease":
        body = '<div style="line-height:1.7;color:#000000;font-size:14px;font-family:Arial">' + divs(new)
        if sig:
            body += "<div><br></div>" + divs(sig)
        if q:
            bq = (
                '<blockquote id="isReplyContent" style="PADDING-LEFT: 1ex; MARGIN: 0px 0px 0px 0.8ex; '
                'BORDER-LEFT: #ccc 1px solid">'
            )
            body += (
                '<br><br><div style="position:relative;zoom:1"></div><div id="divNeteaseMailCard"></div><br>'
                f"<pre><br>{e(attribution(st, q))}<br></pre>{bq}{qhtml(q['text'], '<blockquote>')}</blockquote>"
            )
        return body + "</div><br>\n"
    if st == "yahoo":
        cls = "ydp" + g_hex(4) + "yahoo-style-wrap"
        body = (
            f'<html><head></head><body><div class="{cls}" style="font-family:Helvetica Neue, Helvetica, '
            'Arial, sans-serif;font-size:13px;">' + divs(new, "div", ' dir="ltr" data-setdir="false"')
        )
        if sig:
            body += "<div><br></div>" + divs(sig, "div", ' dir="ltr" data-setdir="false"')
        body += "</div>"
        if q:
            yid = g_digits(13)
            body += (
                f'<div id="yahoo_quoted_{yid}" class="yahoo_quoted"><div style="font-family:\'Helvetica Neue\', '
                'Helvetica, Arial, sans-serif;font-size:13px;color:#26282a;"><div>'
                + e(attribution(st, q))
                + "</div><div><br></div><div><br></div><div>"
                + qhtml(
                    q["text"], '<blockquote style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex;">'
                )
                + "</div></div></div>"
            )
        return body + "</body></html>\n"
    if st == "sina":
        body = divs(new)
        if sig:
            body += "<div><br></div>" + divs(sig)
        if q:
            hb = header_block(st, q)
            body += (
                "<div>&nbsp;</div><div>--------------------------------</div><div>&nbsp;</div><div>"
                + "<br>".join(e(l) for l in hb.split("\n"))
                + "</div><div>&nbsp;</div>"
                + qhtml(q["text"], "<blockquote>")
            )
        return body + "\n"
    raise ValueError(st)


# --------------------------------------------------------------------------
# mail client profiles
# --------------------------------------------------------------------------
#   pcs/pcte: text/plain charset + transfer encoding ("auto" = 7bit if ASCII)
#   hcs/hcte: text/html charset + transfer encoding (None = no HTML part)
#   only_html: the message is a single text/html part
PROFILES = {
    "gmail": dict(lang="en", pcs="UTF-8", pcte="auto-qp", hcs="UTF-8", hcte="quoted-printable", cts=0),
    "gmail_us": dict(lang="en", pcs="UTF-8", pcte="auto-qp", hcs="UTF-8", hcte="quoted-printable", cts=0),
    "ios": dict(lang="en", pcs="utf-8", pcte="quoted-printable", cts=2),
    "outlook": dict(lang="en", pcs="auto-ascii", pcte="quoted-printable", hcs="utf-8", hcte="quoted-printable", cts=0),
    "outlook_new": dict(lang="en", pcs="utf-8", pcte="quoted-printable", hcs="utf-8", hcte="quoted-printable", cts=0),
    "outlook_android": dict(lang="en", pcs="utf-8", pcte="base64", hcs="utf-8", hcte="base64", cts=0),
    "thunderbird": dict(lang="en", pcs="UTF-8", pcte="auto-8bit", cts=3),
    "mutt": dict(lang="en", pcs="utf-8", pcte="8bit", cts=2),
    "proton": dict(lang="en", pcs="utf-8", pcte="base64", cts=2),
    "yahoo": dict(lang="en", hcs="UTF-8", hcte="quoted-printable", only_html=True, cts=0),
    "qq": dict(lang="zh", pcs="gb18030", pcte="base64", hcs="gb18030", hcte="base64", cts=0),
    "foxmail": dict(lang="zh", pcs="GB2312", pcte="base64", hcs="GB2312", hcte="quoted-printable", cts=1),
    "netease": dict(lang="zh", pcs="GBK", pcte="base64", hcs="GBK", hcte="base64", cts=2),
    "ios_zh": dict(lang="zh", pcs="utf-8", pcte="b64-or-qp", cts=2),
    "gmail_zh": dict(lang="zh", pcs="UTF-8", pcte="base64", hcs="UTF-8", hcte="base64", cts=0),
    "outlook_zh": dict(lang="zh", pcs="gb2312", pcte="base64", hcs="gb2312", hcte="quoted-printable", cts=0),
    "mobile_zh": dict(lang="zh", pcs="UTF-8", pcte="8bit", cts=2),
    "sina": dict(lang="zh", hcs="GBK", hcte="base64", only_html=True, cts=2),
}
PROFILE_WHEEL = {
    "en": [
        "gmail",
        "outlook",
        "ios",
        "gmail_us",
        "outlook_new",
        "thunderbird",
        "gmail",
        "ios",
        "outlook",
        "proton",
        "outlook_android",
        "yahoo",
        "mutt",
        "gmail_us",
    ],
    "zh": [
        "qq",
        "netease",
        "foxmail",
        "ios_zh",
        "gmail_zh",
        "outlook_zh",
        "qq",
        "mobile_zh",
        "netease",
        "ios_zh",
        "sina",
        "qq",
        "foxmail",
        "gmail_zh",
    ],
}
MAILER = {
    "ios": "X-Mailer: iPhone Mail (22B91)",
    "outlook": "X-Mailer: Microsoft Outlook 16.0\nThread-Index: AQHbO{b64:26}==\nX-MS-Has-Attach: {att}",
    "outlook_new": "X-MS-Has-Attach: {att}\nX-MS-TNEF-Correlator: \nmsip_labels: ",
    "outlook_android": "X-MS-Has-Attach: {att}",
    "thunderbird": "User-Agent: Mozilla Thunderbird\nContent-Language: en-GB",
    "mutt": "User-Agent: NeoMutt/20240425",
    "yahoo": "X-Mailer: WebService/1.1.22876 YMailNorrin",
    "qq": "X-Priority: 3\nX-QQ-MIME: TCMime 1.0 by Tencent\nX-Mailer: QQMail 2.x\nX-QQ-Mailer: QQMail 2.x\nX-QQ-mid: xmsezb{b64:16}-{digits:7}t{digits:10}",
    "foxmail": "X-Priority: 3\nX-GUID: {HEX:8}-{HEX:4}-{HEX:4}-{HEX:4}-{HEX:12}\nX-Has-Attach: {att}\nX-Mailer: Foxmail 7.2.25.228[cn]",
    "netease": "X-Priority: 3\nX-Mailer: Coremail Webmail Server Version 2023.3-cmXT5 build 20250217(ba07fa84)\n Copyright (c) 2002-2026 www.mailtech.cn 163com\nX-NTES-SC: AL_Qu2{b64:40}",
    "ios_zh": "X-Mailer: iPhone Mail (22B91)",
    "outlook_zh": "X-Mailer: Microsoft Outlook 16.0\nThread-Index: AdtA{b64:24}==\nContent-Language: zh-cn",
    "mobile_zh": "X-Mailer: HUAWEI Email",
    "sina": "X-Mailer: SinaMail 3.0",
}
REPLY_PREFIX = {
    "outlook": "RE: ",
    "outlook_new": "RE: ",
    "outlook_android": "RE: ",
    "qq": "回复：",
    "outlook_zh": "答复: ",
    "foxmail": "回复: ",
    "mobile_zh": "回复: ",
    "sina": "回复：",
}
SUBJ_CS = {
    "gmail": "UTF-8",
    "gmail_us": "UTF-8",
    "ios": "utf-8",
    "outlook": "utf-8",
    "outlook_new": "utf-8",
    "outlook_android": "utf-8",
    "thunderbird": "UTF-8",
    "mutt": "utf-8",
    "proton": "utf-8",
    "yahoo": "UTF-8",
    "qq": "gb18030",
    "foxmail": "GB2312",
    "netease": "GBK",
    "ios_zh": "utf-8",
    "gmail_zh": "UTF-8",
    "outlook_zh": "gb2312",
    "mobile_zh": "UTF-8",
    "sina": "GBK",
}


def signature(st, p: Persona, ctx: Ctx) -> str:
    comp, dom, title = p.company
    d3 = lambda: "".join(str(R.randint(0, 9)) for _ in range(3))
    en_footer = (
        f"-- \n{p.display}\n{title} | {comp}\nT +44 20 7946 0{d3()} | M +44 7700 900{d3()}\n"
        f"https://www.{dom}\n\nThis e-mail and any attachments are confidential and intended solely "
        "for the addressee. If you have received it in error, please notify the sender and delete it."
    )
    en_footer2 = (
        f"--\n{p.display}\n{title}, {comp}\nDirect: (555) 010-2000 | Mobile: +1 (555) 01{d3()[0]}-{d3()}{R.randint(0, 9)}\n"
        f"www.{dom} | https://www.linkedin.example/in/{p.first.lower()}-{p.last.lower()}-{g_hex(4)}"
    )
    zh_footer = (
        f"--\n{p.display} | {title}\n{comp}\n电话：0755-8{d3()}-{d3()}{R.randint(0, 9)}  手机：+86 138 0013 8000\n"
        f"地址：深圳市南山区科技园南区\n网址：https://www.{dom}"
    )
    choice = {
        "gmail": ["", "", f"-- \n{p.display}", en_footer2],
        "gmail_us": ["", f"-- \n{p.display}", en_footer2],
        "ios": ["Sent from my iPhone"],
        "outlook": [en_footer, en_footer2],
        "outlook_new": [en_footer, "", en_footer2],
        "outlook_android": ["Get Outlook for Android<https://aka.ms/AAb9ysg>"],
        "thunderbird": ["", f"-- \n{p.display}\nPGP: {ctx.make('fpr', '')}", f"-- \n{p.display}"],
        "mutt": [f"-- \n{p.display} | GPG {ctx.make('fpr', '')}"],
        "proton": ["Sent with Proton Mail secure email."],
        "yahoo": ["", "Sent from Yahoo Mail for iPhone"],
        "qq": ["", "", "--\n" + p.display],
        "foxmail": [p.email],
        "netease": ["", zh_footer],
        "ios_zh": ["发自我的iPhone"],
        "gmail_zh": ["", "--\n" + p.display, zh_footer],
        "outlook_zh": [zh_footer],
        "mobile_zh": ["发自我的华为手机", "发自我的HUAWEI Mate 60 Pro"],
        "sina": [""],
    }[st]
    return R.choice(choice)


def message_id(st, p: Persona, when):
    dom = p.email.split("@")[1]
    uuid = lambda: f"{g_hex(4)}-{g_hex(2)}-{g_hex(2)}-{g_hex(2)}-{g_hex(6)}"
    if st.startswith("gmail"):
        return (
            "<CA"
            + g_alnum(R.randint(44, 52), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+_=-")
            + "@mail.gmail.com>"
        )
    if st in ("ios", "ios_zh"):
        return f"<{uuid().upper()}@{dom}>"
    if st.startswith("outlook"):
        pr = R.choice(["SN6PR11MB", "DM8PR04MB", "AM9PR07MB", "SEZPR06MB", "TYZPR03MB"]) + g_digits(4)
        reg = {"SN": "namprd11", "DM": "namprd04", "AM": "eurprd07", "SE": "apcprd06", "TY": "apcprd03"}[pr[:2]]
        return f"<{pr}{g_hex(20).upper()}@{pr}.{reg}.prod.outlook.com>"
    if st == "thunderbird":
        return f"<{uuid()}@{dom}>"
    if st == "mutt":
        return f"<{when:%Y%m%d%H%M%S}.GA{g_digits(5)}@{p.first.lower()}-thinkpad>"
    if st == "proton":
        return "<" + g_b64(86).replace("-", "").replace("_", "") + "=@proton.me>"
    if st == "yahoo":
        return f"<{g_digits(10)}.{g_digits(7)}.{int(when.timestamp()) * 1000 + R.randint(0, 999)}@mail.yahoo.com>"
    if st == "qq":
        return f"<tencent_{g_hex(20).upper()}@qq.com>"
    if st == "foxmail":
        return f"<{when:%Y%m%d%H%M%S}{g_digits(7)}@{dom}>"
    if st == "netease":
        return f"<{g_hex(4)[:7]}.{g_hex(2)}.{g_hex(6)[:11]}.Coremail.{p.email.split('@')[0]}@163.com>"
    if st == "sina":
        return f"<{g_hex(8)}@sina.com>"
    if st == "mobile_zh":
        return f"<{uuid()}@email.android.com>"
    raise ValueError(st)


BOUNDARY = {
    "gmail": lambda: "000000000000" + g_hex(8),
    "outlook": lambda: "_000_" + g_alnum(30, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + "prodoutlookcom_",
    "qq": lambda: f"----=_NextPart_{g_hex(4).upper()}_{g_hex(4).upper()}_{g_hex(4).upper()}",
    "foxmail": lambda: f"----=_001_NextPart{g_digits(12)}_=----",
    "netease": lambda: f"----=_Part_{g_digits(6)}_{g_digits(9)}.{g_digits(13)}",
    "apple": lambda: (
        f"Apple-Mail-{g_hex(4).upper()}-{g_hex(2).upper()}-{g_hex(2).upper()}-{g_hex(2).upper()}-{g_hex(6).upper()}"
    ),
    "other": lambda: "------------" + g_alnum(24, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
}


def boundary(st):
    key = (
        "gmail"
        if st.startswith("gmail")
        else "outlook"
        if st.startswith("outlook")
        else "apple"
        if st.startswith("ios")
        else st
        if st in BOUNDARY
        else "other"
    )
    return BOUNDARY[key]()


def pick_cte(kind, text):
    ascii_only = all(ord(c) < 128 for c in text)
    long_lines = any(len(l) > 76 for l in text.split("\n"))
    if kind == "auto-qp":
        return None if ascii_only and not long_lines else "quoted-printable"
    if kind == "auto-8bit":
        return "7bit" if ascii_only else "8bit"
    if kind == "b64-or-qp":
        return R.choice(["base64", "quoted-printable"])
    return kind


def encodable(text, cs):
    try:
        encode_body(text, cs, "8bit")
        return True
    except UnicodeEncodeError:
        return False


ATT_NAMES = {
    ("png", "en"): ["Screenshot {Y}-{m}-{d} at {H}.{M}.07.png", "IMG_{n4}.PNG", "screenshot.png", "image001.png"],
    ("png", "zh"): [
        "微信图片_{Y}{m}{d}{H}{M}{n2}.png",
        "截图.png",
        "屏幕截图 {Y}-{m}-{d} {H}{M}{n2}.png",
        "IMG_{n4}.PNG",
    ],
    ("pdf", "en"): ["statement_{Mon}{Y}.pdf", "withdrawal_record.pdf", "bank_transfer_confirmation.pdf"],
    ("pdf", "zh"): ["提现记录.pdf", "转账凭证.pdf", "银行回单.pdf"],
}


def att_name(kind, lang, when):
    d = when - dt.timedelta(minutes=R.randint(5, 600))
    n = R.choice(ATT_NAMES[(kind, lang)])
    for k, v in {
        "{Y}": f"{d.year}",
        "{m}": f"{d.month:02d}",
        "{d}": f"{d.day:02d}",
        "{H}": f"{d.hour:02d}",
        "{M}": f"{d.minute:02d}",
        "{Mon}": MON[d.month - 1],
        "{n2}": f"{R.randint(0, 59):02d}",
        "{n4}": str(R.randint(1000, 9999)),
    }.items():
        n = n.replace(k, v)
    return n


# --------------------------------------------------------------------------
# support replies that customers quote (values here are never labelled)
# --------------------------------------------------------------------------
QPOOL = {
    "en": {
        "need_info": """Hello {first},

Thank you for contacting Exchange Support.

We checked the reference you gave us ({nord:n18}), but it belongs to a deposit of 150 USDT from {qago:9}, not to the transfer you describe. To help us look into this, could you please reply with:
- the withdrawal or order ID (Assets > History > tap the record)
- the transaction hash (TXID)
- the coin, network and amount

Please note that we will never ask for your password, 2FA codes or recovery phrase.

Kind regards,
{agent}
Exchange Support
Ticket {ticket}""",
        "wd_review": """Hi {first},

Your withdrawal request {nord:n18} (4,800 USDT) is currently under review by our risk control team. This usually takes less than 24 hours. Please do not cancel and resubmit the request.

Best regards,
{agent} | Exchange Support""",
        "dep_need": """Dear customer,

We're sorry to hear your deposit has not been credited yet. Please send us the TXID, the network you used and the amount.

For reference, your USDT (ERC20) deposit address on file is {naddr:evm} and your TRC20 deposit address is {naddr:tron}.

Regards,
{agent}
Exchange Support""",
        "generic": """Hello,

Thank you for your email. We have received your request ({ticket}) and a specialist will get back to you shortly.

Exchange Support
https://exchange.example/support""",
        "escalate": """Hi {first},

Thanks for the information. We have forwarded the case ({ticket}) to our blockchain operations team. They checked transaction {ntx:tron} from your previous message (2,150 USDT) and are reconciling the deposit address. We'll update you as soon as we hear back.

Kind regards,
{agent}""",
        "sec_lock": """Dear user,

For your security, withdrawals on your account have been temporarily disabled after a password reset on {qago:1} at 03:42 (UTC). A withdrawal of 1,999 USDT to {naddr:tron} requested right after the reset was blocked.

Exchange staff will NEVER ask you for your password, SMS/2FA codes, recovery phrase (seed phrase) or private keys. Do not share them with anyone.

To proceed, please confirm your UID and the last deposit you made.

Security Team
Exchange""",
        "sec_newdev": """Hello,

We detected a login from a new device (Windows, Chrome, IP 185.220.101.47) followed by a withdrawal request {nord:n19} of 2.35 ETH to {naddr:evm}. The request has been put on hold. Please confirm whether this was you.

Security Team""",
        "futures": """Hello,

We have reviewed your position. According to our records the position was liquidated at a mark price of 58,214.30 (order {nord:n19}), and the liquidation was executed correctly. Please see https://exchange.example/support/articles/360033525271 for details on how the mark price is calculated.

Regards,
Derivatives Support""",
        "wd_done": """Hi {first},

We've checked withdrawal {nord:n18}. It was processed successfully:

Amount: 0.8 ETH
Network: Arbitrum One
TXID: {ntx:evm}
Address: {naddr:evm}

The transaction has 1,284 confirmations. If the funds are not visible, please contact the receiving platform with the TXID above.

Best regards,
{agent}
Exchange Support""",
    },
    "zh": {
        "need_info": """尊敬的用户您好，

感谢您联系Exchange客服。您提供的单号 {nord:n18} 对应的是一笔 150 USDT 的充值记录，与您描述的情况不符。为了尽快帮您核实，请提供以下信息：
1. 提现/充值记录的订单号（资产-历史记录中可查看）
2. 交易哈希（TXID）
3. 币种、网络和数量

温馨提示：客服不会向您索要密码、验证码或助记词。

客服 {agent}
工单号：{ticket}""",
        "wd_review": """您好，

您的提币申请（单号{nord:n18}，数量 2,600 USDT）目前正在风控审核中，一般24小时内完成，请耐心等待，不要重复提交。

Exchange客服中心""",
        "dep_need": """您好，

很抱歉给您带来不便。请提供充值的交易哈希、所选网络以及充值数量。
您账户的USDT-TRC20充值地址为：{naddr:tron}
USDT-ERC20充值地址为：{naddr:evm}

客服 {agent}""",
        "generic": """您好，

您的问题我们已经收到（工单号 {ticket}），专员会尽快回复您，请耐心等待。

Exchange客服中心
https://exchange.example/zh-CN/support""",
        "escalate": """您好，

感谢您提供的信息。我们已将您的工单（{ticket}）转交链上运营团队处理，他们正在核实您之前提供的交易 {ntx:tron}（1,300 USDT）。有进展会第一时间通知您。

客服 {agent}""",
        "sec_lock": """尊敬的用户：

为了您的账户安全，因您于{qago:1} 03:42（UTC+8）重置了登录密码，账户提币功能已暂时冻结24小时。重置后发起的一笔提币（0.35 ETH 至 {naddr:evm}）已被拦截。

请注意：Exchange工作人员绝不会向您索要密码、短信/谷歌验证码、助记词或私钥，请勿向任何人透露。

如需解冻，请回复您的UID以及最近一笔充值的信息。

Exchange安全中心""",
        "sec_newdev": """您好，

系统检测到您的账户在新设备登录（IP 36.112.8.199），随后发起了一笔提币申请，单号 {nord:n19}，数量 1.2 BTC，地址 {naddr:btc1}。该笔提币已被拦截，请确认是否为本人操作。

Exchange安全中心""",
        "futures": """您好，

经核查，您的仓位于标记价格 3,412.56 触发强平（订单号 {nord:n19}），强平执行符合规则。详情请参阅 https://exchange.example/zh-CN/support/articles/360033525271 。

合约客服""",
        "wd_done": """您好，

经查询，您的提币（单号{nord:n18}）已成功处理：
数量：0.5 ETH
网络：Arbitrum One
交易哈希：{ntx:evm}
地址：{naddr:evm}

如未到账请联系接收方平台并提供上述交易哈希。

客服 {agent}""",
    },
}


class T:
    def __init__(self, lang, s, body, q=None, q2=None, att=None, neg=False, note="", n=2, reply=False):
        self.lang, self.s, self.body, self.q, self.q2 = lang, s, body.strip("\n"), q, q2
        self.att, self.neg, self.note, self.n, self.reply = att, neg, note, n, reply


TEMPLATES: list = []


def en(s, body, **kw):
    TEMPLATES.append(T("en", s, body, **kw))


def zh(s, body, **kw):
    TEMPLATES.append(T("zh", s, body, **kw))


# ============================ English scenarios ============================
en(
    "Withdrawal not received",
    """
[[Hi|Hello]],

As requested, here are the details of my withdrawal:

Withdrawal ID: {ord:n18}
Amount: {{1,200.50 USDT|1200.5|USDT|TRC20//860 USDT|860|USDT|TRC20}} (TRC20)
To address: {addr:tron}
TXID: {tx:tron}

The transfer shows as "Completed" in my history but the receiving wallet still shows nothing. It's been almost 6 hours now.

Thanks,
{first}
""",
    q=["need_info", "generic"],
)

en(
    "Deposit not credited",
    """
Hello support,

I deposited {{3 ETH|3|ETH|-//1.25 ETH|1.25|ETH|-}} from my Ledger to my deposit address {addr:evm} about two hours ago. Etherscan shows it confirmed:
https://etherscan.io/tx/{tx:evm}

My balance still shows 0. Can you please check? My UID is {uid}.

Regards
{first}
""",
    q=[None, "dep_need"],
)

en(
    "Solana USDC deposit missing",
    """
Hi,

Sent {{250 USDC|250|USDC|Solana//4,000 USDC|4000|USDC|Solana}} over Solana to my deposit address yesterday evening and it never showed up.

Signature: {tx:sol#s}

Solscan says finalized: https://solscan.io/tx/{tx:sol#s}

Please credit my account asap, I need it for a trade.
{first}
""",
    q=[None, "dep_need"],
)

en(
    "BTC withdrawal stuck unconfirmed",
    """
Good morning,

I withdrew {{0.5 BTC|0.5|BTC|-//0.085 BTC|0.085|BTC|-}} to my own wallet {addr:bc1q} on Tuesday, withdrawal ID {ord:wd}.

The transaction is still unconfirmed, the fee looks way too low:
https://mempool.space/tx/{tx:btc}

Can you bump it (RBF/CPFP) or cancel it? I paid a withdrawal fee of {{0.0002 BTC|0.0002|BTC|-}} so I expected it to go through quickly.

Best,
{first} {last}
""",
    q=["generic", None],
)

en(
    "Sent USDT on the wrong network",
    """
Hello,

I made a mistake. I withdrew {{2000 USDT|2000|USDT|BEP20//5,500 USDT|5500|USDT|BEP20}} from another platform on BEP20 (BSC) but to my ERC20 deposit address here: {addr:evm}

tx hash {tx:evm}

Is it possible to recover it? I read that since it's the same address format it can be recovered for a fee.

thank you
""",
    q=["dep_need", None],
)

en(
    "Invalid address error when withdrawing",
    """
Hi,

your app keeps saying "Invalid address" when I try to withdraw {{1,000 USDT|1000|USDT|Polygon//350 USDT|350|USDT|Polygon}} on Polygon to {bad:evm}

I typed it over from MetaMask on my phone and checked it twice. What am I doing wrong??
""",
    q=[None, "generic"],
)

en(
    "Deposit from a friend has not arrived",
    """
Hello,

My friend sent me {{500 USDT|500|USDT|TRC20//75 USDT|75|USDT|TRC20}} on TRC20 and it never arrived. He says he sent it to {bad:tron} but my deposit address in the app is {addr:tron}. Are these the same?? They look the same to me.

His tx hash is {tx:tron}
""",
    q=["dep_need", None],
)

en(
    "P2P order – seller not releasing",
    """
Hi team,

P2P order no. {ord:n19#o} – I paid the seller {{$1,000|1000|USD|-//$2,350|2350|USD|-}} by bank transfer 40 minutes ago and marked the order as paid, but the seller is not releasing the {{985.22 USDT|985.22|USDT|-//2,314.6 USDT|2314.6|USDT|-}}. He stopped answering in the chat.

The bank confirmation is attached. Please help.
""",
    q=[
        None,
        """Hi {first},

Regarding P2P order {same:o}: the seller states that the payment has not been received in their bank account yet. Could you please upload a bank statement showing the transfer (name of the recipient, amount and time)? The crypto remains locked in escrow until the appeal is resolved.

Best,
{agent} (P2P Support)""",
    ],
    att="pdf",
)

en(
    "Liquidation dispute",
    """
Hello,

My BTCUSDT perpetual long was liquidated at 03:14 UTC even though the mark price on your own chart never touched my liquidation price. Trade ID {ord:n17}, order ID {ord:n19}.

I lost {{4,350.75 USDT|4350.75|USDT|-//12,080 USDT|12080|USDT|-}} of margin. Please review this, screenshot of the chart attached.
""",
    q=[None, "futures"],
    att="png",
)

en(
    "Withdrawal pending for 3 days – please escalate",
    """
Hi,

This is now the 3rd day my withdrawal is "processing". ref #{ord:ref}

{{12,000 USDT|12000|USDT|ERC20//USDT 3,000|3000|USDT|ERC20}} via ERC20 to {addr:evml}

I need these funds for a payment on Monday. Please escalate.
""",
    q=["wd_review"],
)

en(
    "Arbitrum deposit not showing",
    """
Deposit of {{0.75 ETH|0.75|ETH|Arbitrum//2.2 ETH|2.2|ETH|Arbitrum}} on Arbitrum One still not credited after 1 hour.

TX: {tx:EVM}
From my wallet: {addr:evm}

Arbiscan shows success. Thanks.
""",
    q=[None, "dep_need"],
)

en(
    "BTC deposit not credited",
    """
Hi,

I sent {{0.015 BTC|0.015|BTC|-//0.2 BTC|0.2|BTC|-}} from my old Electrum wallet ({addr:btc1}) to my deposit address {addr:btc3} yesterday at 18:20.

https://blockstream.info/tx/{tx:btc}

It has 14 confirmations, your site says 2 are needed. Still not in my balance.
""",
)

en(
    "Taproot address support?",
    """
Hi,

Can I withdraw BTC to a taproot address? I tried {addr:bc1p} and the app says "address not supported".

My wallet also shows another receive address, {bad:btc3}, which the app rejects too. Is that one also taproot?

Thanks
""",
    q=["generic", None],
)

en(
    "3 deposits missing",
    """
Hi,

None of these 3 deposits have been credited yet:

1) {{150 USDT|150|USDT|TRC20}} – {tx:tron}
2) {{275.5 USDT|275.5|USDT|TRC20}} – {tx:tron}
3) {{1,024 USDT|1024|USDT|TRC20}} – {tx:tron}

All sent via TRC20 to {addr:tron}. The first one is from {ago_mon:3}.
""",
    q=["dep_need", "escalate"],
)

en(
    "BEP20 deposit",
    """
Hi, following up on my message from yesterday. The hash is {tx:evm#a}

I also checked on bscscan: https://bscscan.com/tx/{tx:evm#a} – status Success.

It's BEP20 USDT, {{880 USDT|880|USDT|BEP20//42.5 USDT|42.5|USDT|BEP20}}.
""",
    q=["need_info", "dep_need"],
    q2="Hi, my BEP20 deposit from this morning hasn't arrived. I sent it from {naddr:evm}. Please check.",
    note="same hash written twice (plain and inside bscscan URL): one label",
)

en(
    "LTC deposit",
    """
Hello, the deposit with hash {tx:hex} still isn't in my account, can you please check what's going on? It was {{50 LTC|50|LTC|-//12.4 LTC|12.4|LTC|-}} and it has been over an hour.
""",
    note="LTC transaction: chain not in enum -> unknown",
)

en(
    "OTC settlement details",
    """
Dear Desk,

Please find below the settlement details for today's OTC trade:

Trade ID: {ord:otc}
Side: we buy {{25 BTC|25|BTC|-//8 BTC|8|BTC|-}} against {{2,412,500 USDT|2412500|USDT|-//771,200 USDT|771200|USDT|-}}
Settlement address (BTC): {addr:bc1qw}
The USDT leg has been sent from our account, withdrawal ID {ord:uuid}.

Please confirm once the BTC leg is sent.

Kind regards,
""",
    q=[
        None,
        """Hello {first},

Confirming the trade as discussed on the call: you buy at 96,500.00 per BTC, settlement T+0. Please send the USDT leg to our settlement wallet {naddr:evm} and share the trade reference once done.

Regards,
OTC Desk
Exchange""",
    ],
)

en(
    "Account frozen",
    """
Hi,

I can't log in, the app says my account is frozen. Registered email: {email}, phone on the account {phone:us/uk}. UID {uid}.

I didn't do anything unusual, I just logged in from a hotel in Lisbon. Please unfreeze.
""",
    q=["sec_lock", None],
)

en(
    "Add address to whitelist",
    """
Hello,

Please add the following BTC address to my withdrawal whitelist, I can't do it in the app because it says "invalid address":

{bad:btc1}

It's from my paper wallet, I typed it in carefully. Thank you.
""",
    q=[None, "generic"],
)

en(
    "Polygon deposit",
    """
Hi,

Deposited {{1,500 POL|1500|POL|Polygon//320 POL|320|POL|Polygon}} on Polygon from {addr:evm}, tx https://polygonscan.com/tx/{tx:evm}

Not credited after 40 min. Thanks
""",
)

en(
    "Withdrawal shows completed but not received",
    """
Hi {agent},

thanks, but the transaction you sent me is not the one. My withdrawal was {ord:n16}, {{0.4 ETH|0.4|ETH|Arbitrum}} on Arbitrum to {addr:evm}, and on arbiscan I see this one instead: https://arbiscan.io/tx/{tx:evm}

Can you double check?
""",
    q=["wd_done"],
)

en(
    "Missing deposit",
    """
Screenshot attached. Order ID: {ord:n18}
""",
    q=["need_info"],
    att="png",
)

en(
    "Sent SHIB to my USDT address",
    """
Hi,

I accidentally sent {{12,500,000 SHIB|12500000|SHIB|ERC20//740,000 SHIB|740000|SHIB|ERC20}} (ERC20) to my USDT deposit address {addr:evml}. Transaction: {tx:evm}

Can you credit it or send it back? I'm happy to pay the recovery fee.
""",
    q=[None, "dep_need"],
)

en(
    "Withdrawal failed at 2FA step",
    """
Hello,

My withdrawal {ord:n18} of {{600 USDT|600|USDT|TRC20//95 USDT|95|USDT|TRC20}} (TRC20) failed at the verification step. I entered the code {code6} from the SMS and it said "expired" immediately. Now the withdrawal is cancelled but the amount is still frozen in my account.

UID {uid}
""",
    note="6-digit SMS code is not an order id and not a secret label",
)

en(
    "Withdrawal to cold wallet rejected",
    """
Hi,

we're trying to move {{3.2 BTC|3.2|BTC|-//11 BTC|11|BTC|-}} to our cold wallet at {bad:bc1q} but the withdrawal form rejects it. Our hot wallet address {addr:bc1qw} works fine.

Could you whitelist the cold wallet address manually?
""",
    q=[None, "generic"],
)

en(
    "USDT sent to the wrong address?",
    """
Hi,

I think I sent {{300 USDT|300|USDT|-//1,100 USDT|1100|USDT|-}} to the wrong address. My wallet history links to https://tronscan.org/#/address/{addr:tron} but the deposit address in your app is {addr:tron}.
The transfer: https://tronscan.org/#/transaction/{tx:tron}

Is the first one also yours?
""",
    q=[None, "dep_need"],
    note="address inside tronscan URL counts as an address",
)

en(
    "SOL withdrawal not received",
    """
Hello,

I withdrew {{42 SOL|42|SOL|-//7.5 SOL|7.5|SOL|-}} to my Phantom wallet, withdrawal ID {ord:n17}.

https://explorer.solana.com/tx/{tx:sol}

Phantom doesn't show it. Is there a problem on your side?
""",
    q=[None, "wd_review"],
)

en(
    "Withdrawal status",
    """
Hi,

Any update on this? It's been 3 days now.

{first}
""",
    q=[
        """Hello {first},

Thank you for your patience. We located your withdrawal {nord:n18} of 4,500 USDT (ERC20) to {naddr:evm}. It was broadcast with transaction hash {ntx:evm} but failed on-chain (out of gas). The funds will be returned to your spot account within 48 hours.

Best regards,
{agent}
Exchange Support""",
        """Hi {first},

We have re-broadcast the transaction for withdrawal {nord:wd} (0.75 BTC to {naddr:bc1p}). New TXID: {ntx:btc}. Please allow a few hours for confirmation.

Exchange Support""",
    ],
    neg=True,
    note="all values are in the quoted support reply only",
)

en(
    "Please double check my withdrawal address",
    """
Hi,

before I send a large amount ({{25,000 USDT|25000|USDT|ERC20//8,000 USDT|8000|USDT|ERC20}} on ERC20) I'd like you to double check my withdrawal address, because last time the app complained about it:

{bad:evm}

It's my Ledger address, I copied it by hand from the device screen.
""",
    q=[None, "need_info"],
)

en(
    "Deposit still missing",
    """
Hi,

deposit still not there after 3 hours.

TXID {tx:HEX}
Amount: {{1,000 USDT|1000|USDT|-//640 USDT|640|USDT|-}}

please check
""",
    q=["need_info", None],
    note="upper-case hex hash without chain context -> unknown",
)

# ---- English secrets ----
en(
    "URGENT – wallet drained",
    """
HELP!!! All my funds were stolen from my Trust Wallet this morning. The only place I ever connected it to is your web3 wallet feature so I think it's your fault.

Here is my recovery phrase so your team can see what happened:

{seed:en12.space/en24.num}

The thief's address is {addr:evm} and he took {{14,000 USDT|14000|USDT|-//6,250 USDT|6250|USDT|-}}. Please freeze it right now!!!
""",
    q=[None, "sec_lock"],
)

en(
    "Can’t log in – incorrect password",
    """
Hi,

I keep getting "incorrect password" on the login page but I'm 100% sure it's right. Email on the account: {email:me}
My password is {pw:strong} and I've been using it for 2 years.

I already tried the "forgot password" link twice but never got the email. Can you reset it from your side?
""",
    q=[None, "generic"],
)

en(
    "Import wallet - invalid key",
    """
Hello,

I'm trying to import my old MetaMask account into your Web3 wallet. I exported the private key:

{pk:hex}

and pasted it, but I get "Invalid key format". Is there something wrong with it? The account has about {{2.4 ETH|2.4|ETH|-}} in it.
""",
    n=1,
)

en(
    "Sweep an old paper wallet",
    """
Hi there,

I found an old paper wallet from 2014. The private key printed on it is {pk:wif5/wifK}

How do I sweep it into my exchange account? My BTC deposit address is {addr:btc3}. I think there's around {{0.31 BTC|0.31|BTC|-//1.05 BTC|1.05|BTC|-}} on it.

Cheers,
{first}
""",
)

en(
    "Lost phone – 2FA",
    """
Hello,

I lost my phone yesterday and with it my Google Authenticator. I still have the backup codes I saved when I set it up:

{bk:dash/d8}
{bk:dash/d8}
{bk:dash/d8}

Can you please disable 2FA on my account so I can log in again? UID {uid}

Thank you!
""",
    q=[None, "sec_lock"],
)

en(
    "Restore my wallet",
    """
Hi,

my wallet app got deleted when I reset my phone. I have the words I wrote down when I created it:

{seed:en18.numlines/en15.lines}

Can you restore my balance from these? I had {{1,850 USDT|1850|USDT|-}} and some ETH in there.

Thanks
""",
)

en(
    "Funds stolen from my wallet",
    """
Someone drained my wallet {addr:evm} this morning, tx: {tx:evm}

I think my private key leaked somehow. It was {pk:0xhex} - I'm sending it to you so your security team can trace who used it. Everything is gone, about {{9,400 USDT|9400|USDT|ERC20//2,780 USDT|2780|USDT|ERC20}} on ERC20.
""",
    q=[None, "sec_newdev"],
    note="0x+64 hex private key next to a real tx hash: the key is a secret, not a tx id",
)

en(
    "Account recovery form",
    """
Hello,

For the account recovery you asked me to fill in: my old Google Authenticator setup key was {bk:b32g} and my fund password is {pw:pin6}.

UID: {uid}
Registered phone: {phone:us/uk}
""",
    q=["sec_lock"],
    note="6-digit fund password is a secret",
)

en(
    "Is the word order important? 😕",
    """
Hi, quick question. When I created a wallet in your app it showed me a list of words. I wrote them down like this:

{seed:en12.comma/en15.rows}

Is the order important? I'm afraid I mixed up two of them.
""",
)

# ---- English negatives ----
en(
    "App crashes on launch after update",
    """
Hi,

After updating the Android app to 7.42.1 it crashes immediately on launch. I downloaded the APK from your website because Google Play isn't available in my country. The SHA-256 checksum of the apk is

{hex:64}

which matches the one on the download page, so the file itself is fine.

Device: Pixel 7, Android 15 (build AP4A.250105.002). Crash log:

java.lang.IllegalStateException: Keystore init failed
    at com.exchange.app.security.KeyStoreHelper.init(KeyStoreHelper.kt:88)
    at com.exchange.app.MainApplication.onCreate(MainApplication.kt:41)

Looking at your open-source SDK on GitHub, I think commit {hex:40} ("refactor keystore loading") introduced it, the previous release worked fine.

Thanks,
{first}
""",
    neg=True,
    note="SHA-256 of an APK and a git commit hash are not tx ids",
)

en(
    "Authenticator code rejected",
    """
Hello,

The 6-digit code from my authenticator app is rejected every time ("invalid verification code"). I tried {code6} and then {code6} a minute later, both failed. The time on my phone is set automatically.

I also called your hotline at (555) 010-2000 at 9:30 this morning and waited 25 minutes, nobody answered.

Please advise.
""",
    neg=True,
    q=[None, "generic"],
    note="used 2FA codes and a hotline number: nothing to extract",
)

en(
    "Please stop the promo emails",
    """
Please stop sending me promotional emails. I clicked "unsubscribe" at the bottom of the last one three times, it just opens

https://click.em.exchange.example/ls/click?upn={hex:64}&t={ts}&sig={b58:44}

and shows "404 Not Found". I also changed the setting in Account > Notifications on {ago_dmy:5} but they keep coming.
""",
    neg=True,
    note="tracking link with 64-hex and base58 parameters",
)

en(
    "Images in announcement broken",
    """
Hi,

FYI the images in your latest announcement ("New listings this week") don't load for me. For example

https://cdn.exchange.example/{hex:64}/banner_en.png
https://static.exchange.example/img/{hex:32}.webp?v={hex:8}

both return 403 Forbidden. Tested in Chrome 131 and Firefox 133, cleared cache, same thing. Just letting you know.
""",
    neg=True,
    note="CDN content hashes in URLs are not tx ids",
)

en(
    "API rate limits for market making",
    """
-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA512

Hello,

we operate a small market-making desk and would like to know the current rate limits for the spot WebSocket API (connections per IP and messages per second), and whether a higher tier is available for accounts above VIP 3.

Our engineers would also like to know when the v2 REST endpoints will be deprecated.

Best regards,
{name}
-----BEGIN PGP SIGNATURE-----

{pgp}
-----END PGP SIGNATURE-----
""",
    neg=True,
    note="PGP signature block",
)

en(
    "Signature for this request is not valid",
    """
Hi,

since yesterday our bot gets this error on every signed request:

{"code":-1022,"msg":"Signature for this request is not valid."}

Request:
GET /api/v3/account?recvWindow=5000&timestamp={tsms}&signature={hex:64}

We sign with HMAC-SHA256 over the query string and nothing changed on our side (last deploy was commit {hex:40} on {ago:4}). Server time drift is < 200 ms.

Any idea?
""",
    neg=True,
    note="HMAC request signature and unix timestamp: not tx id, not uid",
)

en(
    "Identity verification still pending",
    """
Hello,

I submitted my identity verification on {ago_dmy:3} at 10:45 and it still says "Under review" (see attached screenshot). The page says it takes 24-48 hours. Your verification partner's help page told me to call +44 20 7946 0321 but that line is closed on weekends.

Could you check what is missing?
""",
    neg=True,
    att="png",
)

en(
    "Web trading page freezes",
    """
Hi,

the web trading page freezes when I open the order book for any pair. Console shows:

Uncaught TypeError: Cannot read properties of undefined (reading 'price')
    at https://static.exchange.example/web/js/main.{hex:20}.js:2:184233

Sentry event ID: {hex:32}

Browser: Chrome 131.0.6778.86 on macOS 15.1. It started on {ago:1} around 21:10 CET.
""",
    neg=True,
    q=[None, "generic"],
)

# ============================ Chinese scenarios ============================
zh(
    "提币未到账",
    """
你好，

我昨天晚上提了{{1,200 USDT|1200|USDT|TRC20//800 USDT|800|USDT|TRC20}}到我自己的钱包，网络选的TRC20，到现在还没到账。
提现单号：{ord:n18}
提币地址：{addr:tron}
交易哈希：{tx:tron}

麻烦帮忙查一下，谢谢！
""",
    q=["need_info", None],
)

zh(
    "充值未到账",
    """
客服你好，我从imToken往平台充值了{{0.3个ETH|0.3|ETH|-//1.2个ETH|1.2|ETH|-}}，到现在两个小时了还没到账。
区块浏览器上显示已经成功了：https://etherscan.io/tx/{tx:evm}
我的充值地址是{addr:evm}
用户ID：{uid}
请尽快处理，谢谢
""",
    q=[None, "dep_need"],
)

zh(
    "USDT充值没到",
    """
在吗？我转了{{500u|500|USDT|TRC20//200U|200|USDT|TRC20}}进来（波场链），半小时了一直没显示。
哈希：{tx:tron}
""",
    q=["generic", None],
)

zh(
    "朋友转账查不到",
    """
您好，我朋友给我转了{{五百USDT|500|USDT|-//一千U|1000|USDT|-}}，他说已经转出去了，交易哈希是{tx:hex}，但是我这边充值记录里什么都没有。请问是怎么回事？
""",
    note="Chinese numeral amount; hash without chain context -> unknown",
)

zh(
    "比特币提币一直未确认",
    """
你好，

我{{0.12 BTC|0.12|BTC|-//0.035个BTC|0.035|BTC|-}}提币到{addr:bc1q}已经快一天了，区块浏览器上一直是未确认状态。
提币单号 {ord:n19}
比特币交易哈希：
{tx:btc}

能不能帮我加速一下？
""",
    q=["wd_review", None],
)

zh(
    "充值选错网络",
    """
你好，我充值的时候选错了网络，本来应该选ERC20，结果选了BEP20，{{2,000 USDT|2000|USDT|BEP20//650 USDT|650|USDT|BEP20}}转到了{addr:evm}这个地址，交易哈希 {tx:evm} 。请问还能找回吗？需要手续费的话可以扣。
""",
    q=["dep_need", None],
)

zh(
    "提币提示地址错误",
    """
你好，提币的时候一直提示“地址格式错误”，我的地址是 {bad:tron} ，是我照着另一个钱包一个字一个字输进去的，检查了好几遍。
要提{{3000U|3000|USDT|TRC20//1500U|1500|USDT|TRC20}}，TRC20网络。
""",
    q=[None, "generic"],
)

zh(
    "C2C订单申诉",
    """
你好，

C2C订单号{ord:c2c#o}，我已经通过银行卡付款{{7,200元|7200|CNY|-//3,650元|3650|CNY|-}}，对方一直不放币，聊天也不回。订单里是{{1,000 USDT|1000|USDT|-//500 USDT|500|USDT|-}}。
转账凭证在附件里，麻烦尽快处理。
""",
    q=[
        None,
        """您好，

关于C2C订单 {same:o}：卖家表示尚未收到您的付款。请在申诉页面上传银行转账凭证（需显示收款人姓名、金额和时间），订单中的币在申诉处理完成前会一直冻结。

C2C客服 {agent}""",
    ],
    att="pdf",
    note="fiat amount in 元 labelled as CNY",
)

zh(
    "限价单没有成交",
    """
我挂的限价单一直没成交，委托单号：{ord:n18}，买入{{0.8个ETH|0.8|ETH|-//2个ETH|2|ETH|-}}。K线上价格明明已经到了，为什么没成交？
""",
)

zh(
    "合约被强平",
    """
客服你好，

我的ETH永续合约多单今天凌晨2点13分被强平了，当时标记价格根本没到我的强平价。
交易编号：{ord:n17}
委托单号：{ord:n19}
损失了{{3,280.6 USDT|3280.6|USDT|-//980 USDT|980|USDT|-}}，请帮忙核实并赔偿。截图在附件。
""",
    q=[None, "futures"],
    att="png",
)

zh(
    "提现审核太久",
    """
你好，我的提现已经审核两天了还没通过，提现单号：{ord:wd}，{{8,888 USDT|8888|USDT|ERC20//2,400 USDT|2400|USDT|ERC20}}（ERC20），地址 {addr:evml}。急用，麻烦加急处理一下。
""",
    q=["wd_review"],
)

zh(
    "Solana充值未到账",
    """
你好，我通过Solana网络充了{{800 USDC|800|USDC|Solana//120 USDC|120|USDC|Solana}}，交易签名：{tx:sol}
solscan上显示已确认，但是账户里没有。
""",
    q=[None, "dep_need"],
)

zh(
    "多笔充值未到账",
    """
以下几笔充值都没到账：
1、{tx:tron} {{300U|300|USDT|TRC20}}
2、{tx:tron} {{1,000U|1000|USDT|TRC20}}
3、{tx:tron} {{88.8U|88.8|USDT|TRC20}}
都是TRC20转的，充值地址 {addr:tron}
""",
    q=["dep_need", "escalate"],
)

zh(
    "充值未到账（补充哈希）",
    """
哈希：{tx:tron#a}
链接：https://tronscan.org/#/transaction/{tx:tron#a}
金额{{2500 USDT|2500|USDT|TRC20//99 USDT|99|USDT|TRC20}}，TRC20
""",
    q=["need_info", None],
    q2="你好，我充值的USDT还没到账，付款地址是 {naddr:tron} ，帮我查一下",
    note="same hash twice: one label",
)

zh(
    "提币地址加白名单",
    """
你好，麻烦帮我把这个地址加到提币白名单：{bad:bc1q/btc3}
APP里一直提示地址无效，我是从冷钱包上抄下来的。
""",
)

zh(
    "Arbitrum提币没收到",
    """
你好，我在Arbitrum网络提了{{0.5 ETH|0.5|ETH|Arbitrum//1.8 ETH|1.8|ETH|Arbitrum}}，提现单号{ord:n16}，地址{addr:evm}，但是钱包里没收到。你们给的交易哈希不是我这笔，我自己在链上看到的是这个：https://arbiscan.io/tx/{tx:evm}
""",
    q=["wd_done", None],
)

zh(
    "BEP20充值",
    """
BEP20充值未到账
交易哈希：{tx:EVM}
数量：{{1,888 USDT|1888|USDT|BEP20//360 USDT|360|USDT|BEP20}}
""",
    q=["generic"],
)

zh(
    "账号被盗！！",
    """
我的账号被盗了！！！有人把我的{{1.5 BTC|1.5|BTC|-//0.6 BTC|0.6|BTC|-}}提到了 {addr:btc1} ，提币单号 {ord:n18}，我根本没操作过！请立即冻结！
注册邮箱：{email}
绑定手机：{phone:cn/cn2}
UID：{uid}
""",
    q=["sec_newdev", None],
)

zh(
    "地址无效",
    """
我要把币提到这个地址 {bad:evm} 可是一直提示地址无效，是手抄的，麻烦帮我看看是哪里错了。提{{3 ETH|3|ETH|ERC20//0.9 ETH|0.9|ETH|ERC20}}，ERC20。
""",
)

zh(
    "Polygon充值",
    """
你好，Polygon链充值{{2,000 POL|2000|POL|Polygon//600 POL|600|POL|Polygon}}没到账。
哈希 https://polygonscan.com/tx/{tx:evm}
发送地址 {addr:evm}
""",
)

zh(
    "BTC充值未到账",
    """
你好，我往充值地址 {addr:btc3} 充了{{0.25个比特币|0.25|BTC|-//0.07 BTC|0.07|BTC|-}}，已经6个确认了还没到账。
比特币交易哈希 {tx:btc}
""",
    q=["dep_need"],
)

zh(
    "请问处理得怎么样了",
    """
你好，请问处理得怎么样了？已经三天了。
""",
    q=[
        """您好，

经核实，您的提币（单号 {nord:n18}，数量 5,000 USDT，网络 TRC20）已于链上完成，交易哈希：{ntx:tron}，接收地址：{naddr:tron}。如接收方未到账，请联系接收平台。

客服 {agent}""",
        """您好，

您反馈的充值（交易哈希 {ntx:evm}，0.8 ETH）已提交技术部门人工入账，预计1-3个工作日完成。

工单号：{ticket}
Exchange客服中心""",
    ],
    neg=True,
    note="all values are in the quoted support reply only",
)

zh(
    "补充截图",
    """
截图发你们了，订单号{ord:n18}
""",
    q=["need_info"],
    att="png",
)

zh(
    "两笔充值只到了一笔",
    """
你好，今天分两笔充了{{一千U|1000|USDT|TRC20//两千U|2000|USDT|TRC20}}和{{两千USDT|2000|USDT|TRC20//三千USDT|3000|USDT|TRC20}}，都是TRC20，只到了一笔。
第二笔哈希：{tx:tron}
""",
)

zh(
    "提币验证码错误",
    """
你好，我提币{{600 USDT|600|USDT|TRC20//1,250 USDT|1250|USDT|TRC20}}（TRC20），提现单号{ord:n18}，输入短信验证码{code6}之后一直提示“验证码错误”，现在提币被取消了，但钱还冻结着。
我的UID是{uid}
""",
)

zh(
    "是不是转错地址了",
    """
你好，我往 https://tronscan.org/#/address/{addr:tron} 这个地址转了{{300 USDT|300|USDT|-//2万U|20000|USDT|-}}，但是我在APP里看到的充值地址是 {bad:tron}（我手打的，可能有错），是不是转错了？
交易：https://tronscan.org/#/transaction/{tx:tron}
""",
    q=[None, "dep_need"],
)

zh(
    "确认一下提币地址",
    """
你好，我准备提{{5万U|50000|USDT|TRC20//1.5万U|15000|USDT|TRC20}}到我的冷钱包，TRC20网络，地址是 {bad:tron} ，麻烦帮我确认一下这个地址对不对？上次提币的时候提示地址有问题。
""",
    q=[None, "generic"],
    note="万 multiplier",
)

# ---- Chinese secrets ----
zh(
    "钱包被盗",
    """
我的钱包被盗了！！！里面的{{2万U|20000|USDT|-//8000U|8000|USDT|-}}全被转走了，转到了这个地址：{addr:tron}
我的助记词是：{seed:zh12.space/zh12.nospace}
你们帮我查一下是谁干的，能不能追回来？
""",
    q=[None, "sec_lock"],
    note="万 multiplier: 2万U = 20000 USDT",
)

zh(
    "imToken导入助记词失败",
    """
你好，我用英文助记词导入钱包一直提示“助记词无效”：
{seed:en12.comma/en24.space}
是不是哪个单词拼错了？帮我看下。
""",
)

zh(
    "私钥导入",
    """
你好，我想把MetaMask的账户导入你们的Web3钱包，私钥是：{pk:hex}
导入的时候提示格式不对，要加0x吗？
""",
    n=1,
)

zh(
    "登录不上",
    """
客服你好，我登录一直提示密码错误，我的密码是{pw:simple}，没改过啊。
账号是{email:me}，麻烦帮我看一下。
""",
    q=["sec_lock", None],
)

zh(
    "补充账户信息",
    """
你好，按你们的要求补充信息：
登录密码：{pw:strong}
资金密码：{pw:pin6}
UID：{uid}
请尽快帮我解冻账户。
""",
    q=["sec_lock"],
)

zh(
    "谷歌验证器丢失",
    """
你好，我手机丢了，谷歌验证器也没了。当时保存的备用码如下：
{bk:d8/dash}
{bk:d8/dash}
{bk:d8/dash}
还有谷歌验证器的密钥：{bk:b32}
麻烦帮我解绑一下，UID {uid}
""",
)

zh(
    "找回钱包",
    """
你好，我换手机以后钱包没了，助记词我抄在本子上了：
{seed:zh24.lines/zh18.rows}
能帮我恢复吗？里面有{{1.2个ETH|1.2|ETH|-//0.45个ETH|0.45|ETH|-}}。
""",
)

zh(
    "钱包被转空",
    """
你好，我的钱包 {addr:evm} 今天早上被转空了，交易哈希 {tx:evm}。
我怀疑是私钥泄露了，私钥是 {pk:0xhex} ，你们安全团队能帮忙追踪一下吗？
""",
    q=[None, "sec_newdev"],
)

zh(
    "比特币纸钱包",
    """
我有个很早以前的比特币纸钱包，私钥是{pk:wifc/wif5}，怎么导入到你们平台？充值地址是{addr:bc1q}。
""",
)

zh(
    "助记词顺序写错了",
    """
你好，请问助记词顺序写错了还能恢复吗？我记的是 {seed:zh15.numc/zh12.comma} ，好像第3个和第4个顺序反了。
""",
)

# ---- Chinese negatives ----
zh(
    "APP闪退",
    """
你好，

安卓APP更新到7.42.1以后一打开就闪退。我是从官网下载的安装包，安装包的SHA256校验值是：
{hex:64}
和官网公布的一致，所以文件应该没问题。

手机型号：小米14，系统 HyperOS 2.0.8。
另外我看了你们GitHub上开源的SDK，怀疑是这次提交 {hex:40} 引起的。
""",
    neg=True,
    note="SHA-256 of an APK and a git commit hash are not tx ids",
)

zh(
    "收不到验证码",
    """
你好，登录的时候收不到短信验证码，好不容易收到一次，输入{code6}又提示验证码错误。
打你们客服电话400-010-2000一直占线，{ago_zhy:1}下午3点到5点打了十几次。
请问怎么解决？
""",
    neg=True,
    q=[None, "generic"],
)

zh(
    "退订营销邮件",
    """
你们的营销邮件太多了，点了退订链接也没用：
https://click.em.exchange.example/ls/click?upn={hex:64}&t={ts}&sig={b58:44}
打开是404。请把我的邮箱从列表里删掉。
""",
    neg=True,
)

zh(
    "公告图片打不开",
    """
你好，官网最新公告里的图片都加载不出来，比如：
https://cdn.exchange.example/{hex:64}/banner_zh.png
https://static.exchange.example/img/{hex:32}.webp
都是403，换了浏览器也一样。
""",
    neg=True,
)

zh(
    "API签名错误",
    """
你好，我们的量化程序从昨天开始所有签名请求都报错：
{"code":-1022,"msg":"Signature for this request is not valid."}
请求：GET /api/v3/account?recvWindow=5000&timestamp={tsms}&signature={hex:64}
我们这边代码没改过（最近一次部署是 {hex:40}），服务器时间误差小于200毫秒。麻烦看一下。
""",
    neg=True,
)

zh(
    "身份认证一直审核中",
    """
你好，我{ago_zh:3}上午10:45提交的身份认证，到现在还显示“审核中”，截图见附件。页面上写的是24-48小时内完成，已经超时了。
""",
    neg=True,
    att="png",
)

zh(
    "网页版报错",
    """
你好，网页版打开交易页面就卡死，控制台报错：
Uncaught TypeError: Cannot read properties of undefined (reading 'price')
    at https://static.exchange.example/web/js/main.{hex:20}.js:2:184233
Sentry事件ID：{hex:32}
浏览器是Chrome 131，Windows 11。
""",
    neg=True,
)

zh(
    "活动奖励还没发",
    """
你好，活动页面写的是{ago_zh:2}12:00前发放奖励，现在已经过去两天了还没收到。
活动链接：https://www.exchange.example/zh-CN/activity/{hex:24}?ref={b58:10}
""",
    neg=True,
    q=[None, "generic"],
)


# --------------------------------------------------------------------------
# assembling one message
# --------------------------------------------------------------------------
RECEIVED_HOST = {
    "gmail": "mail-lf1-f{n}.google.com",
    "gmail_us": "mail-pj1-f{n}.google.com",
    "gmail_zh": "mail-pl1-f{n}.google.com",
    "ios": "mr85p00im-ztdg0{n}.me.com",
    "ios_zh": "mr85p00im-hyfv0{n}.me.com",
    "outlook": "mail-{reg}.outbound.protection.outlook.com",
    "outlook_new": "mail-{reg}.outbound.protection.outlook.com",
    "outlook_android": "mail-{reg}.outbound.protection.outlook.com",
    "outlook_zh": "mail-{reg}.outbound.protection.outlook.com",
    "thunderbird": "mout0{n}.posteo.example",
    "mutt": "fout-a{n}-smtp.messagingengine.com",
    "proton": "mail-4{n}.protonmail.ch",
    "yahoo": "sonic3{n}-2.consmr.mail.ne1.yahoo.com",
    "qq": "out203-205-221-1{n}.mail.qq.com",
    "foxmail": "smtp.qiye.163.com",
    "netease": "m16{n}.mail.163.com",
    "mobile_zh": "m1{n}.mail.126.com",
    "sina": "mail3-1{n}.sinamail.sina.com.cn",
}


def fill(template: str, ctx: Ctx, extra: dict) -> str:
    for k, v in extra.items():
        template = template.replace("{" + k + "}", v)
    return TOK_RE.sub(lambda m: ctx.make(m.group(1), m.group(2) or ""), template)


def build(index: int, t: T, k: int, profile: str, when: dt.datetime):
    lang = t.lang
    p = Persona(lang, profile)
    ticket = f"INB-{R.randint(1200, 99999):06d}"
    agent = R.choice(EN_AGENTS if lang == "en" else ZH_AGENTS)
    ctx = Ctx(lang, k, p, when, ticket, agent)
    new = ctx.render(t.body, True).strip()

    # quoted history ------------------------------------------------------
    qsel = t.q[k % len(t.q)] if t.q else None
    q = None
    if qsel:
        qdate = when - dt.timedelta(hours=R.randint(2, 70), minutes=R.randint(0, 59))
        ctx.qdate = qdate
        qtext = ctx.render(QPOOL[lang].get(qsel, qsel), False).strip()
        if t.q2:
            odate = qdate - dt.timedelta(hours=R.randint(3, 30), minutes=R.randint(0, 59))
            orig = ctx.render(t.q2, False).strip()
            if lang == "en":
                lead = f"On {odate.day} {MON[odate.month - 1]} {odate.year}, at {odate:%H:%M}, {p.display} <{p.email}> wrote:"
            else:
                lead = f"{p.display} <{p.email}> 于 {odate:%Y-%m-%d %H:%M} 写道："
            qtext += "\n\n" + lead + "\n" + prefix(orig)
        sname = R.choice(
            ["Exchange Support", "Support", "Exchange Support Team"]
            if lang == "en"
            else ["客服", "Exchange客服中心", "Exchange Support"]
        )
        q = dict(
            text=qtext,
            date=qdate,
            name=sname,
            addr=SUPPORT,
            to_name=p.display,
            to_addr=p.email,
            subject=f"[#{ticket}] {t.s}",
        )
    reply = q is not None or t.reply

    # secrets that span lines cannot live in an HTML-only message
    multiline = any("\n" in s["text"] for s in ctx.labels["secrets"])
    cfg = PROFILES[profile]
    if cfg.get("only_html") and multiline:
        profile = "gmail" if lang == "en" else "qq"
        cfg = PROFILES[profile]
    sig = signature(profile, p, ctx)
    bottom = profile == "mutt" or (profile == "thunderbird" and R.random() < 0.5)
    plain = compose_plain(profile, new, sig, q, bottom) + "\n"
    for cs_key in ("pcs", "hcs"):
        cs = cfg.get(cs_key)
        if cs and not cs.startswith("auto") and not encodable(plain, cs):
            profile = "gmail_zh" if lang == "zh" else "gmail"
            cfg = PROFILES[profile]
            sig = signature(profile, p, ctx)
            plain = compose_plain(profile, new, sig, q, False) + "\n"
            break

    # MIME tree -------------------------------------------------------------
    if cfg.get("only_html"):
        html_text = compose_html(profile, new, sig, q, cfg["hcs"])
        root = text_leaf(html_text, "html", cfg["hcs"], cfg["hcte"], cfg["cts"])
    else:
        pcs = cfg["pcs"]
        if pcs == "auto-ascii":
            pcs = "us-ascii" if plain.isascii() else "utf-8"
        leaf = text_leaf(plain, "plain", pcs, pick_cte(cfg["pcte"], plain), cfg["cts"])
        if cfg.get("hcs"):
            html_text = compose_html(profile, new, sig, q, cfg["hcs"])
            hleaf = text_leaf(html_text, "html", cfg["hcs"], pick_cte(cfg["hcte"], html_text), cfg["cts"])
            root = Multi("alternative", boundary(profile), [leaf, hleaf])
        else:
            root = leaf
    atts = []
    if t.att:
        atts.append(t.att)
    elif not t.neg and R.random() < 0.08:
        atts.append("png")
    if atts:
        style = 1 if profile in ("thunderbird", "ios", "ios_zh", "mutt") else 0
        leaves = [attach_leaf(a, att_name(a, lang, when), style, SUBJ_CS[profile]) for a in atts]
        pre = (
            "This is a multi-part message in MIME format."
            if profile in ("thunderbird", "outlook_zh", "foxmail")
            else None
        )
        root = Multi("mixed", boundary(profile), [root] + leaves, preamble=pre)

    # headers -----------------------------------------------------------------
    scs = SUBJ_CS[profile]
    base = t.s
    if reply:
        tag = f"[#{ticket}] " if (q and R.random() < 0.65) else ""
        base = REPLY_PREFIX.get(profile, "Re: ") + tag + t.s
    mode = "Q" if (lang == "en" and profile in ("ios", "thunderbird")) else "B"
    subject = enc_words(base, scs, mode)
    disp = p.display
    if disp.isascii():
        from_h = f"{disp} <{p.email}>" if profile not in ("outlook", "outlook_new") else f'"{disp}" <{p.email}>'
    elif profile == "qq":
        from_h = f'"{enc_words(disp, scs)}" <{p.email}>'
    else:
        from_h = f"{enc_words(disp, scs)} <{p.email}>"
    to_h = {
        "qq": '"support"<support@exchange.example>',
        "foxmail": '"support" <support@exchange.example>',
        "outlook": "Exchange Support <support@exchange.example>",
        "outlook_zh": '"support@exchange.example" <support@exchange.example>',
    }.get(profile, SUPPORT)
    mid = message_id(profile, p, when)
    host = (
        RECEIVED_HOST[profile]
        .replace("{n}", str(R.randint(10, 99)))
        .replace("{reg}", R.choice(["sn1nam02on2101", "eur05on2119", "tyzapc01on2120", "psaapc01on2098"]))
    )
    recv_date = when + dt.timedelta(seconds=R.randint(1, 9))
    ip = ctx.make("ip", "")
    hdrs = [
        f"Return-Path: <{p.email}>",
        f"Received: from {host} ({host} [{ip}])\n\tby mx1.exchange.example (Postfix) with ESMTPS id 4Y{g_alnum(8, B58)}"
        f"\n\tfor <{SUPPORT}>; {rfc2822(recv_date)}",
        f"From: {from_h}",
        f"To: {to_h}",
        f"Subject: {subject}",
        f"Date: {rfc2822(when)}",
        f"Message-ID: {mid}",
    ]
    if reply:
        qd = q["date"] if q else when - dt.timedelta(hours=30)
        support_mid = f"<{ticket}.{int(qd.timestamp())}.{g_hex(5)}@exchange.example>"
        first_mid = message_id(profile, p, qd - dt.timedelta(hours=5))
        hdrs.append(f"In-Reply-To: {support_mid}")
        hdrs.append(fold("References", f"{first_mid} {support_mid}"))
    hdrs.append("MIME-Version: 1.0")
    if profile in MAILER:
        hdrs.append(fill(MAILER[profile], ctx, {"att": "yes" if atts else "no"}))
    eml = ("\n".join(hdrs) + "\n").encode("ascii") + render_part(root)

    # labels --------------------------------------------------------------------
    for tx in ctx.labels["tx_ids"]:
        assert tx["value"] in new
    for a in ctx.labels["addresses"]:
        assert a["value"] in new and address_valid(a["value"]) == a["valid"], a
    for s in ctx.labels["secrets"]:
        assert s["text"] in new, s
    if t.neg:
        assert not any(ctx.labels.values()), (t.s, ctx.labels)
    notes = [f"client={profile}"]
    if q:
        notes.append("quoted history" + (" (nested)" if t.q2 else "") + " holds values that are not labelled")
    if bottom and q:
        notes.append("bottom-posted reply")
    if t.neg:
        notes.append("negative: nothing to extract")
    if atts:
        notes.append("attachment: " + ",".join(atts))
    notes += ctx.notes
    if t.note:
        notes.append(t.note)
    rec = {
        "file": f"{index:03d}.eml",
        "language": lang,
        **ctx.labels,
        "has_quoted_history": q is not None,
        "notes": "; ".join(notes),
    }
    return eml, rec


def main():
    for v in ("+86 138 0013 8000", "(555) 010-2000"):
        USED.add(v)
    instances = [(t, k) for t in TEMPLATES for k in range(t.n)]
    R.shuffle(instances)
    wheel_pos = {"en": 0, "zh": 0}
    start = dt.datetime(2026, 11, 2, 8, 30)
    MAILS.mkdir(exist_ok=True)
    for old in sorted(MAILS.glob("*.eml")):
        old.unlink()
    lines = []
    for i, (t, k) in enumerate(instances, 1):
        wheel = PROFILE_WHEEL[t.lang]
        profile = wheel[wheel_pos[t.lang] % len(wheel)]
        wheel_pos[t.lang] += 1
        tz = (
            dt.timezone(dt.timedelta(hours=8))
            if t.lang == "zh"
            else R.choice(
                [
                    dt.UTC,
                    dt.timezone(dt.timedelta(hours=1)),
                    dt.timezone(dt.timedelta(hours=-5)),
                    dt.timezone(dt.timedelta(hours=-8)),
                    dt.timezone(dt.timedelta(hours=5, minutes=30)),
                ]
            )
        )
        when = (
            (start + dt.timedelta(hours=6 * i, minutes=R.randint(0, 300), seconds=R.randint(0, 59)))
            .replace(tzinfo=dt.UTC)
            .astimezone(tz)
        )
        eml, rec = build(i, t, k, profile, when)
        (MAILS / rec["file"]).write_bytes(eml)
        lines.append(json.dumps(rec, ensure_ascii=False))
    (OUT / "labels.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} messages to {MAILS}")


if __name__ == "__main__":
    main()
