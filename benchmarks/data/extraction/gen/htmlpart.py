"""The text/html part of each mail client: its markup for the new text, the signature and the quote."""

from __future__ import annotations

import html
import re

from .quoting import Quote, attribution, header_block
from .values import g_digits, g_hex

URL_RE = re.compile(r"https?://[^\s<>\"，。）)]+")


def hx(line: str) -> str:
    esc = html.escape(line, quote=False)
    return URL_RE.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', esc)


def divs(text: str, tag: str = "div", attrs: str = "") -> str:
    return "".join(f"<{tag}{attrs}>{hx(line) if line.strip() else '<br>'}</{tag}>" for line in text.split("\n"))


def qhtml(text: str, bq: str) -> str:
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


def mso(text: str) -> str:
    return "\n".join(
        f'<p class="MsoNormal">{hx(l)}<o:p></o:p></p>' if l.strip() else '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        for l in text.split("\n")
    )


def compose_html(st: str, new: str, sig: str, q: Quote | None, charset: str) -> str:
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
