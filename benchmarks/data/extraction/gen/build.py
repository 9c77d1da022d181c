"""One mail from one scenario instance (MIME tree, headers, labels), and the run that writes them all."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from .chain import address_valid
from .clients import (
    MAILER,
    PROFILE_WHEEL,
    PROFILES,
    RECEIVED_HOST,
    REPLY_PREFIX,
    SUBJ_CS,
    att_name,
    boundary,
    encodable,
    message_id,
    pick_cte,
    signature,
)
from .htmlpart import compose_html
from .mime import Multi, attach_leaf, enc_words, fold, render_part, text_leaf
from .persona import EN_AGENTS, ZH_AGENTS, Persona
from .quoting import MON, compose_plain, prefix, rfc2822
from .scenarios import Scenario, load_replies, load_scenarios
from .template import TOK_RE, Ctx
from .values import B58, R, g_alnum, g_hex, reset

SUPPORT = "support@exchange.example"
REPLIES = load_replies()


def fill(template: str, ctx: Ctx, extra: dict[str, str]) -> str:
    for k, v in extra.items():
        template = template.replace("{" + k + "}", v)
    return TOK_RE.sub(lambda m: ctx.make(m.group(1), m.group(2) or ""), template)


def build(index: int, t: Scenario, k: int, profile: str, when: dt.datetime) -> tuple[bytes, dict[str, Any]]:
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
        qtext = ctx.render(REPLIES[lang].get(qsel, qsel), False).strip()
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
            subject=f"[#{ticket}] {t.subject}",
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
    base = t.subject
    if reply:
        tag = f"[#{ticket}] " if (q and R.random() < 0.65) else ""
        base = REPLY_PREFIX.get(profile, "Re: ") + tag + t.subject
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
        assert not any(ctx.labels.values()), (t.subject, ctx.labels)
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


def generate(out: Path) -> int:
    """Write out/mails/NNN.eml (replacing any there) and out/labels.jsonl; returns the number of mails."""
    reset()
    instances = [(t, k) for t in load_scenarios() for k in range(t.n)]
    R.shuffle(instances)
    wheel_pos = {"en": 0, "zh": 0}
    start = dt.datetime(2026, 11, 2, 8, 30)
    mails = out / "mails"
    mails.mkdir(parents=True, exist_ok=True)
    for old in sorted(mails.glob("*.eml")):
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
        (mails / rec["file"]).write_bytes(eml)
        lines.append(json.dumps(rec, ensure_ascii=False))
    (out / "labels.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)
