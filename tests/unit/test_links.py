"""inboxd.links: the domains in a mail and their verdicts against the official domains."""

from __future__ import annotations

import time

import pytest

from inboxd.links import LOOKALIKE, MAX_DOMAINS, OFFICIAL, OTHER, Link, links_in, verdict
from inboxd.lookalike import distance, skeleton

OFFICIAL_DOMAINS = ("exchange.example",)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        # official: the domain and its subdomains, however written
        ("exchange.example", OFFICIAL),
        ("www.exchange.example", OFFICIAL),
        ("api.eu.exchange.example", OFFICIAL),
        ("EXCHANGE.EXAMPLE.", OFFICIAL),
        ("Login.Exchange.Example", OFFICIAL),
        # swapped, doubled, missing, changed letters
        ("exchnage.example", LOOKALIKE),
        ("exhcange.com", LOOKALIKE),
        ("exchangge.example", LOOKALIKE),
        ("exchage.example", LOOKALIKE),
        ("exchamge.net", LOOKALIKE),
        ("ex-change.com", LOOKALIKE),
        # homoglyphs: Cyrillic, Greek, rn -> m, 0 -> o, 1/l -> i, punycode of a homoglyph
        ("\u0435xchange.example", LOOKALIKE),  # Cyrillic е
        ("exch\u0430nge.com", LOOKALIKE),  # Cyrillic а
        ("excha\u03b7ge.example", LOOKALIKE),  # Greek η
        ("xn--xchange-6gg.example", LOOKALIKE),
        # the official name inside another registrable domain
        ("exchange.example.verify-login.example", LOOKALIKE),
        ("exchange-example.com", LOOKALIKE),
        ("exchange.example-support.net", LOOKALIKE),
        ("login-exchange.com", LOOKALIKE),
        ("exchangesupport.com", LOOKALIKE),
        ("secure.exchange.evil.example", LOOKALIKE),
        # the same name under another suffix
        ("exchange.com", LOOKALIKE),
        ("exchange.co.uk", LOOKALIKE),
        # unrelated, common domains stay other
        ("gmail.com", OTHER),
        ("qq.com", OTHER),
        ("etherscan.io", OTHER),
        ("tronscan.org", OTHER),
        ("bscscan.com", OTHER),
        ("google.com", OTHER),
        ("apple.com", OTHER),
        ("stackexchange.com", OTHER),
        ("exchange.microsoft.com", OTHER),
        ("exchangerate-api.com", OTHER),
        ("example.com", OTHER),
        ("change.org", OTHER),
    ],
)
def test_verdicts(domain: str, expected: str) -> None:
    assert verdict(domain, OFFICIAL_DOMAINS).verdict == expected


@pytest.mark.parametrize(
    ("domain", "official"),
    [
        ("rnetamask-wallet.com", ("metamask.wallet",)),  # rn -> m
        ("c0inbase.com", ("coinbase.com",)),  # 0 -> o
        ("bIockvault.io", ("blockvault.io",)),  # capital I for l
        ("b1ockvault.io", ("blockvault.io",)),  # 1 for l
        ("vvalletvault.com", ("walletvault.com",)),  # vv -> w
        ("blockvau1t.com", ("blockvault.io",)),  # 1 for l, other suffix
    ],
)
def test_ascii_lookalike_letters(domain: str, official: tuple[str, ...]) -> None:
    assert verdict(domain, official).verdict == LOOKALIKE


def test_short_official_names_need_an_exact_match() -> None:
    # Three letters: one edit away is half the short names there are.
    assert verdict("okb.com", ("okx.com",)).verdict == OTHER
    assert verdict("okx.io", ("okx.com",)).verdict == LOOKALIKE
    assert verdict("0kx.com", ("okx.com",)).verdict == LOOKALIKE


def test_no_official_domain_means_everything_is_other() -> None:
    assert verdict("exchnage.example", ()).verdict == OTHER
    assert verdict("exchange.example", ()).verdict == OTHER


def test_an_official_domain_is_never_a_lookalike_of_another() -> None:
    official = ("exchange.example", "exchange.com", "exchange-help.net")
    for domain in ("exchange.com", "www.exchange.com", "exchange-help.net", "a.b.exchange.example"):
        assert verdict(domain, official).verdict == OFFICIAL


def test_a_sibling_of_an_official_subdomain_is_not_official_but_not_a_lookalike() -> None:
    link = verdict("shop.exchange.example", ("www.exchange.example",))
    assert link.verdict == OTHER


def test_private_suffixes_separate_parties() -> None:
    # github.io is a public suffix in the list's private section: each name under it is someone's.
    assert verdict("exchange.github.io", ("exchange.github.io",)).verdict == OFFICIAL
    assert verdict("exchnage.github.io", ("exchange.github.io",)).verdict == LOOKALIKE
    assert verdict("other.github.io", ("exchange.github.io",)).verdict == OTHER


def test_reasons_are_short_and_printable() -> None:
    for domain in ("exchnage.example", "\u0435xchange.example", "exchange-example.com", "exchange.com"):
        link = verdict(domain, OFFICIAL_DOMAINS)
        assert link.reason and link.reason.isprintable() and len(link.reason) < 120
    assert "mixed scripts" in verdict("\u0435xchange.example", OFFICIAL_DOMAINS).reason
    assert verdict("gmail.com", OFFICIAL_DOMAINS).reason == ""


def test_skeleton_and_distance() -> None:
    assert skeleton("\u0435x\u0441hange") == skeleton("exchange")
    assert skeleton("rnetamask") == skeleton("metamask")
    assert distance("exchnage", "exchange", 2) == 1  # a transposition is one edit
    assert distance("abcdefgh", "hgfedcba", 2) == 3  # over the limit: limit + 1


def _domains(links: tuple[Link, ...]) -> list[str]:
    return [link.domain for link in links]


def test_urls_and_bare_domains_in_text() -> None:
    text = (
        "Is https://user:pw@Login.Exchange.Example:8443/a?b=c yours? And www.exchnage.com/path, "
        "exchange-example.com, mail from help@exchange-help.com, and http://203.0.113.9/x."
    )
    links = links_in(text, (), OFFICIAL_DOMAINS)
    assert _domains(links) == [
        "login.exchange.example",
        "www.exchnage.com",
        "exchange-example.com",
        "exchange-help.com",
        "203.0.113.9",
    ]
    assert [link.verdict for link in links] == [OFFICIAL, LOOKALIKE, LOOKALIKE, LOOKALIKE, OTHER]


def test_the_real_host_of_a_url_counts() -> None:
    links = links_in("https://exchange.example@evil.example/login", (), OFFICIAL_DOMAINS)
    assert _domains(links) == ["evil.example"]
    # A domain in a URL's path is not a link; a redirector's target (even percent-encoded) is.
    links = links_in(
        "https://evil.example/www.exchange.example/ https://r.example.com/?u=https%3A%2F%2Fexchnage.io",
        (),
        OFFICIAL_DOMAINS,
    )
    assert _domains(links) == ["evil.example", "r.example.com", "exchnage.io"]


@pytest.mark.parametrize(
    "text",
    [
        "hxxps://exchnage[.]example/login",
        "exchnage[.]example",
        "exchnage(.)example",
        "exchnage[dot]example",
        "hxxp[:]//exchnage.example",
        "请访问exchnage。example确认",
        "请访问ｅｘｃｈｎａｇｅ．ｅｘａｍｐｌｅ",
        "exch\u200bnage.exa\u200dmple",
        "访问https://exchnage.example，谢谢",
    ],
)
def test_defanged_and_disguised_forms(text: str) -> None:
    assert _domains(links_in(text, (), OFFICIAL_DOMAINS)) == ["exchnage.example"]


def test_idn_is_decoded_for_display() -> None:
    links = links_in("see http://xn--xchange-6gg.example/ and http://例子.中国/", (), OFFICIAL_DOMAINS)
    assert _domains(links) == ["\u0435xchange.example", "例子.中国"]
    assert links[0].verdict == LOOKALIKE


def test_hrefs_are_links_too() -> None:
    hrefs = (
        "https://exchnage.example/verify?token=1",
        "mailto:support@exchange.example",
        "//cdn.evil.example/x",
        "/relative",
    )
    links = links_in("Click here to verify your wallet", hrefs, OFFICIAL_DOMAINS)
    assert [(link.domain, link.verdict) for link in links] == [
        ("exchnage.example", LOOKALIKE),
        ("exchange.example", OFFICIAL),
        ("cdn.evil.example", OTHER),
    ]


def test_each_domain_once_in_order_of_first_appearance() -> None:
    links = links_in("b.com a.com B.COM. https://a.com/x", ("c.com",), ())
    assert _domains(links) == ["b.com", "a.com", "c.com"]


def test_file_names_are_not_domains_unless_they_pass_for_ours() -> None:
    assert _domains(links_in("see readme.md, wallet.zip and report.pdf", (), OFFICIAL_DOMAINS)) == []
    assert _domains(links_in("download exchange.zip", (), OFFICIAL_DOMAINS)) == ["exchange.zip"]


def test_non_domains_are_not_found() -> None:
    text = "version 1.2.3, amount 0.5 BTC, e.g. this, john.smith@ the end. 3.14"
    assert links_in(text, (), OFFICIAL_DOMAINS) == ()


def test_the_local_part_of_an_address_is_not_a_domain_wherever_it_falls() -> None:
    """`evil.example@` names a mailbox, not a site, however far it is from the dots before it (names
    are looked for only around dots: each look must still see the `@` after a name)."""
    for pad in range(240, 262):
        text = "a.b" + " " * pad + "evil.example@mail.test"
        assert _domains(links_in(text, (), OFFICIAL_DOMAINS)) == ["mail.test"], pad


@pytest.mark.parametrize(
    "text",
    [
        "a." * 500_000,  # 1 MB of labels
        ("x" * 63 + ".") * 16_000,
        "a" * 1_000_000,
        "-" * 1_000_000,
        "http://" * 150_000,
        "a.b@" * 250_000,
        " ".join(f"https://host{i}.example.com/x" for i in range(10_000)),
        " ".join(f"h{i}.com" for i in range(100_000)),
        "https://" + "a" * 1_000_000,
        "我a.com" * 150_000,
    ],
)
def test_hostile_input_is_bounded(text: str) -> None:
    started = time.perf_counter()
    links = links_in(text, [text[:5000]] * 1000, OFFICIAL_DOMAINS)
    assert len(links) <= MAX_DOMAINS
    assert time.perf_counter() - started < 1.0


def test_a_verdict_takes_a_url_or_an_address_by_its_host() -> None:
    cases = {
        "https://user:pw@Login.Exchange.Example:443/x?y=1": ("login.exchange.example", OFFICIAL),
        "exchange.example:443": ("exchange.example", OFFICIAL),
        "support@exchnage.com": ("exchnage.com", LOOKALIKE),
        "hxxps://exchnage[.]example/login": ("exchnage.example", LOOKALIKE),
        "": ("", OTHER),
    }
    for written, (domain, expected) in cases.items():
        link = verdict(written, OFFICIAL_DOMAINS)
        assert (link.domain, link.verdict) == (domain, expected), written


def test_short_names_doubled_letter_and_reserved_test_names() -> None:
    assert verdict("okkx.com", ("okx.com",)) == Link("okkx.com", LOOKALIKE, "letter doubled in okx.com")
    assert verdict("kox.com", ("okx.com",)).verdict == OTHER
    # `.test` and `.example` are reserved for examples: bare names there are names.
    assert _domains(links_in("see exchnage.test, foo.example", (), ())) == ["exchnage.test", "foo.example"]


def test_sentences_run_together_are_not_domains() -> None:
    text = "It should be.Now I wait for the results.You can reach me at Google.Com or via exchnage.Com."
    assert _domains(links_in(text, (), OFFICIAL_DOMAINS)) == ["google.com", "exchnage.com"]


def test_decoys_do_not_hide_a_lookalike() -> None:
    decoys = " ".join(f"https://decoy{i}.example.com/" for i in range(600))
    links = links_in(
        decoys + " https://exchnage.example/login", ["https://exchange.example@xn--xchange-6gg.com/"], OFFICIAL_DOMAINS
    )
    assert len(links) == MAX_DOMAINS
    # The text's own budget of names is spent on decoys; the hrefs still count.
    assert [link.domain for link in links if link.verdict == LOOKALIKE] == ["\u0435xchange.com"]
    links = links_in(" ".join(f"d{i}.example.com" for i in range(60)) + " exchnage.example", (), OFFICIAL_DOMAINS)
    assert len(links) == MAX_DOMAINS and links[-1] == verdict("exchnage.example", OFFICIAL_DOMAINS)
