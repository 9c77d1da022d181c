"""The scenario mini-language (see the package docstring) rendered into text, and the labels it yields.

`Ctx` holds one mail's state: its persona, dates, the values already drawn for `#key`
references, and the labels of every labelled token rendered into the customer's new text.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .chain import ADDR_GEN, address_valid, g_privkey, g_seed, g_tx, mistype, wif
from .persona import Persona
from .quoting import MON
from .values import USED, R, fresh, g_b58, g_b64, g_backup, g_digits, g_hex, g_order, g_password, g_pgp_block, g_phone

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


class Ctx:
    def __init__(self, lang: str, k: int, persona: Persona, when: dt.datetime, ticket: str, agent: str):
        self.lang, self.k, self.p, self.when = lang, k, persona, when
        self.ticket, self.agent = ticket, agent
        self.labels = {"tx_ids": [], "order_ids": [], "amounts": [], "addresses": [], "secrets": [], "account_ids": []}
        self.cache = {}
        self.notes = []
        self.qdate = when

    def add(self, field: str, obj: Any) -> None:
        if obj not in self.labels[field]:
            self.labels[field].append(obj)

    def render(self, text: str, labelled: bool) -> str:
        text = VAR_RE.sub(lambda m: R.choice(m.group(1).split("|")), text)

        def amt(m: re.Match[str]) -> str:
            alts = m.group(1).split("//")
            surface, value, asset, net = alts[self.k % len(alts)].split("|")
            assert VALUE_RE.match(value), value
            if labelled:
                self.add("amounts", {"value": value, "asset": asset, "network": None if net == "-" else net})
            return surface

        text = AMT_RE.sub(amt, text)
        return TOK_RE.sub(lambda m: self.token(m.group(1), m.group(2) or "", labelled), text)

    def token(self, kind: str, spec: str, labelled: bool) -> str:
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

    def make(self, kind: str, spec: str) -> str:
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
