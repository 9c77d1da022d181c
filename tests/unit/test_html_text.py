"""HTML bodies as text (inboxd.html_text): what html_to_text promises its readers."""

from __future__ import annotations

import time

import pytest

from inboxd.html_text import html_to_text


def test_links_stay_inline_with_their_target() -> None:
    text = html_to_text(
        '<p>sent, see <a href="https://etherscan.io/tx/0xab12">etherscan</a> and '
        '<a href="https://tronscan.org/#/transaction/cd34">https://tronscan.org/#/transaction/cd34</a> '
        '<a href="#top">top</a> <a href="https://x.test/a(b)" title="t">x</a></p>'
    )
    assert "[etherscan](https://etherscan.io/tx/0xab12)" in text
    assert "<https://tronscan.org/#/transaction/cd34>" in text  # the label is the target: written once
    assert " top " in text and "#top" not in text  # a link within the page keeps its label only
    assert "[x](https://x.test/a(b))" in text  # as written: no Markdown escapes, no title


def test_blocks_and_br_break_lines() -> None:
    text = html_to_text(
        "<div>line one<br>line two</div><div><br></div><p>para</p>"
        "<ul><li>first</li><li>second</li></ul><ol start=3><li>third</li></ol>"
        "<table><tr><td>Amount</td><td>500 USDT</td></tr><tr><th>TXID</th><td>ab12</td></tr></table>"
    )
    assert text.splitlines() == [
        "line one",
        "line two",
        "",
        "para",
        "",
        "* first",
        "* second",
        "3. third",
        "",
        "Amount 500 USDT",  # cells apart, so that the amount is read
        "TXID ab12",
    ]


def test_a_br_ending_a_block_adds_no_line() -> None:
    assert html_to_text("<div>a<br></div><div>b<br><br>c</div>") == "a\n\nb\n\nc"


def test_no_markdown() -> None:
    text = html_to_text("<h2>Withdrawal</h2><p><code>0xab</code> <s>old</s> <em>now</em> <b>1.</b> C:\\x\\y</p><hr>")
    assert text == "Withdrawal\n\n0xab old now 1. C:\\x\\y"


def test_blockquote_lines_are_quoted() -> None:
    text = html_to_text(
        "<div>my answer</div><div>On Mon, Support wrote:</div>"
        "<blockquote><p>your question</p><blockquote>older</blockquote></blockquote><div>after</div>"
    )
    assert text.splitlines() == [
        "my answer",
        "",
        "On Mon, Support wrote:",
        "",
        "> your question",
        ">",
        "> > older",
        "",
        "after",
    ]


def test_what_no_reader_sees_is_never_text() -> None:
    text = html_to_text(
        "<html><head><title>T1</title><style>p{color:red}</style><script>var s='S1'</script></head>"
        "<body><!-- C1 --><p>visible &amp; decoded &lt;ok&gt; &#20320;</p><script>S2()</script>"
        "<style>.x{}</style><template><p>T2</p></template></body></html>"
    )
    assert text == "visible & decoded <ok> 你"


def test_white_space_is_collapsed_except_in_pre() -> None:
    assert html_to_text("<p>  a \n\t b  </p><pre>x   y\n  z</pre>") == "a b\n\nx   y\nz"


def test_undecodable_bytes_and_nul_do_not_break_it() -> None:
    # The parser drops NUL from text: it never meets the converter's NUL-led markers.
    assert html_to_text("<p>a\udc80b\x00p\x00c</p>") == "a?bpc"


@pytest.mark.parametrize(
    "page",
    [
        "<div>" * 100_000 + "deep" + "</div>" * 100_000,
        "<blockquote>" * 20_000 + "deep",
        "<a href=x>" * 20_000 + "links",
        "<table><tr><td>" * 20_000,
        "<p>" + "<b><i>" * 50_000 + "mis</b>nested</i>" * 1000,
        "<" * 500_000 + "<p>broken",
        "<ol><li>" * 10_000 + "<pre>" + " x " * 100_000,
    ],
    ids=["divs", "quotes", "links", "tables", "misnested", "angles", "lists-pre"],
)
def test_hostile_html_is_bounded(page: str) -> None:
    started = time.process_time()
    text = html_to_text(page)
    assert time.process_time() - started < 2.0
    assert isinstance(text, str)


def test_a_page_nested_too_deep_is_read_flattened() -> None:
    # Lexbor's time grows with depth squared: 100,000 levels would take seconds.
    page = "<div>" * 100_000 + "line one<br>line two<p>para &amp; more<script>hidden()</script><style>x</style>"
    started = time.process_time()
    text = html_to_text(page)
    assert time.process_time() - started < 1.0
    assert text.splitlines() == ["line one", "line two", "para & more"]
