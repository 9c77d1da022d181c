"""Which required information a mail leaves out, per its category (operator config).

A required field is satisfied when the facts contain any of the fact kinds the
field lists in `classifiers/categories.toml` — `tx_or_order_id` by a transaction
hash or by an order/withdrawal ID.
"""

from __future__ import annotations

from collections.abc import Mapping

from inboxd.assets import Category
from inboxd.models import Facts


def missing_fields(category: Category, fields: Mapping[str, tuple[str, ...]], facts: Facts) -> tuple[str, ...]:
    present = facts.kinds_present()
    return tuple(name for name in category.required if not present.intersection(fields[name]))


def still_missing(missing: tuple[str, ...], fields: Mapping[str, tuple[str, ...]], facts: Facts) -> tuple[str, ...]:
    """What an earlier mail left out and this follow-up does not supply either."""
    present = facts.kinds_present()
    return tuple(name for name in missing if name in fields and not present.intersection(fields[name]))
