"""Which required information a mail leaves out, per its category (operator config).

A required field is satisfied when the facts contain any of the fact kinds the
field lists in `classifiers/categories.toml` — `tx_or_order_id` by a transaction
hash or by an order/withdrawal ID.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from inboxd.assets import Category
from inboxd.values import Facts


def missing_for_kinds(
    category: Category, fields: Mapping[str, Sequence[str]], present: frozenset[str]
) -> tuple[str, ...]:
    """The category's required fields that none of the `present` fact kinds satisfies."""
    return tuple(name for name in category.required if not present.intersection(fields[name]))


def missing_fields(category: Category, fields: Mapping[str, Sequence[str]], facts: Facts) -> tuple[str, ...]:
    return missing_for_kinds(category, fields, facts.kinds_present())
