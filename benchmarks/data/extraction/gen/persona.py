"""The simulated customer of one mail: name, e-mail address (its domain fits the mail client) and company.

The names are data (data/names.toml).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from .values import R, g_digits

NAMES = tomllib.loads((Path(__file__).parent / "data" / "names.toml").read_text(encoding="utf-8"))
EN_FIRST, EN_LAST = NAMES["en_first"], NAMES["en_last"]
ZH_SUR, ZH_GIVEN = NAMES["zh_sur"], NAMES["zh_given"]
EN_COMPANY, ZH_COMPANY = NAMES["en_company"], NAMES["zh_company"]
EN_AGENTS, ZH_AGENTS = NAMES["en_agents"], NAMES["zh_agents"]


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
