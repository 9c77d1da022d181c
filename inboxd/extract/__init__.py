"""Facts in the customer's new text: transaction hashes, order IDs, amounts, addresses,
times and account identifiers.

Pure functions over text, one module per kind of fact:

| module | finds |
|---|---|
| `hashes` | EVM, Bitcoin/Tron/other 64-hex and Solana transaction IDs, with the likely chain |
| `orders` | order/trade/withdrawal IDs after operator-configured cue words |
| `amounts` | amounts with asset and network, Chinese numerals included |
| `addresses` | Bitcoin, EVM and Tron addresses with their checksums verified |
| `times` | the time of the event, resolved against the Date header |
| `accounts` | UID, registered e-mail and phone |
| `context` | what must not be read (URLs, Message-IDs, PGP, base64) and cue words |
| `checksums` | the only user of base58, bech32m and pycryptodome |

Extraction runs on `ParsedEmail.new_text` (plus the subject) after secrets were redacted
(`inboxd.redact`), so values in quoted history or signatures are not taken for what
the customer says now, and a private key is never read as a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from inboxd.extract.accounts import account_ids
from inboxd.extract.addresses import addresses
from inboxd.extract.amounts import amounts
from inboxd.extract.context import Masked, mask
from inboxd.extract.hashes import transaction_ids
from inboxd.extract.orders import BUILTIN_RULES, OrderRules, compile_rules, order_ids
from inboxd.extract.times import times
from inboxd.values import Facts, ParsedEmail

__all__ = [
    "BUILTIN_RULES",
    "FactSettings",
    "Masked",
    "OrderRules",
    "account_ids",
    "addresses",
    "amounts",
    "compile_rules",
    "extract_facts",
    "facts_of_mail",
    "mask",
    "order_ids",
    "times",
    "transaction_ids",
]


def extract_facts(
    text: str,
    received: datetime | None,
    zone: tzinfo,
    own_addresses: frozenset[str] = frozenset(),
    rules: OrderRules = BUILTIN_RULES,
) -> Facts:
    masked = mask(text)
    tx = transaction_ids(masked)
    wallets = addresses(masked)
    exclude = {t.value.lower() for t in tx} | {t.value[2:].lower() for t in tx if t.value.startswith("0x")}
    exclude |= {a.value.lower() for a in wallets}
    return Facts(
        tx_ids=tx,
        order_ids=order_ids(masked, exclude, rules),
        amounts=amounts(masked),
        times=times(masked, received, zone),
        account_ids=account_ids(text, own_addresses),
        addresses=wallets,
    )


@dataclass(frozen=True, slots=True)
class FactSettings:
    """What extraction reads besides the mail: plain values, so the worker processes get them too."""

    zone: tzinfo
    own_addresses: frozenset[str] = frozenset()
    rules: OrderRules = BUILTIN_RULES


def facts_of_mail(mail: ParsedEmail, settings: FactSettings) -> Facts:
    """The facts of a redacted mail: its subject and new words, and the secrets removed from it."""
    facts = extract_facts(
        f"{mail.subject}\n{mail.new_text}", mail.date, settings.zone, settings.own_addresses, settings.rules
    )
    return replace(facts, secrets=mail.secrets)
