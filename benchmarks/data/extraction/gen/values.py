"""The run's one source of randomness, the set of values already handed out, and the plain value makers.

Every value in the corpus comes from `R`, one `random.Random(SEED)`: the order in which the
modules draw from it is part of the output, so a change of order renumbers every mail.
`reset()` puts both back to the start of a run.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from collections.abc import Callable

SEED = 20261120
R = random.Random(SEED)
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
USED: set[str] = set()
# Values that occur in fixed texts (a signature's hotline, a sample number) are never generated.
RESERVED = ("+86 138 0013 8000", "(555) 010-2000")


def reset() -> None:
    """Back to the state of a fresh interpreter: the same seed, nothing handed out yet."""
    R.seed(SEED)
    USED.clear()
    USED.update(RESERVED)


def fresh(fn: Callable[[], str]) -> str:
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


def g_alnum(n: int, alphabet: str = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789") -> str:
    return "".join(R.choice(alphabet) for _ in range(n))


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
