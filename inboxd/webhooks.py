"""What a webhook says, and how it is signed: events that need a person, as HTTP bodies. Pure.

inboxd reports a few events to the receivers of `[[notify]]` (a paging service, a chat
channel, the exchange's own incident tool): a customer secret found in a mail, an
escalated ticket, an SLA breach, a quarantined mail, an acknowledgement of unknown fate,
automatic mail stopped by the hourly budget, a phishing report. The event row is
committed with the state change that caused it (inboxd.store.events) and delivered by
inboxd.webhook_delivery, with retries; this module builds what is sent:

- the payload, built once when the event is recorded (so every retry sends the same
  bytes): kind, ticket reference, category, language, priority, a reason worded by
  inboxd, counts and the time — never the customer's text (no body, no subject) and no
  address but the masked form of inboxd.echo (`d***@g***.com`). A reason is never
  customer text either: the only reason that quoted a header (a forged sender's
  evidence) is cut to its wording here.
- the headers: `Idempotency-Key` (the event's, the same on every retry and for every
  receiver: a receiver drops repeats by it), and `X-Inboxd-Signature: t=<unix time>,
  v1=<hex HMAC-SHA256 of "<t>.<body>" under the receiver's secret>` (docs/notify.md
  has the receiver's check);
- the body: the JSON payload, or for `format = "slack"` Slack's `{"text": ...}`.

And what an HTTP answer means: 2xx delivered; 408, 429 and 5xx (or no answer) retried
with exponential backoff until the event's max age; any other 4xx is final.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from inboxd.echo import masked_email

EVENTS = (
    "security_incident",
    "escalation",
    "sla_breach",
    "quarantine",
    "ack_unknown_fate",
    "volume_budget",
    "phishing_report",
)
SIGNATURE_HEADER = "X-Inboxd-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "X-Inboxd-Event"

# Retries: BACKOFF_BASE seconds after the first failure ([[notify]] retry_base_seconds), doubling,
# at most BACKOFF_CAP apart.
BACKOFF_BASE = 10.0
BACKOFF_CAP = 3600.0

_TITLES = {
    "security_incident": "Security incident: a customer sent a secret (redacted)",
    "escalation": "Ticket escalated",
    "sla_breach": "SLA breached",
    "quarantine": "Mail quarantined",
    "ack_unknown_fate": "Acknowledgement of unknown fate",
    "volume_budget": "Automatic mail stopped: the hourly budget is spent",
    "phishing_report": "Phishing report",
}
_FORGED = "forged sender"  # plan_forged's reason quotes the Authentication-Results evidence after this

Outcome = Literal["delivered", "retry", "give_up"]


def safe_reason(reason: str | None) -> str | None:
    """An escalation reason fit for a payload: inboxd's own wording, never a sender's header text."""
    if reason is None:
        return None
    if reason.startswith(_FORGED):
        return "forged sender, not answered"
    return reason[:200]


def payload(
    kind: str,
    key: str,
    at: float,
    *,
    ticket: Mapping[str, Any] | None = None,
    reason: str | None = None,
    counts: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The event as JSON-ready data; `ticket` is the store's ticket row (or None).

    Only the fields named here leave inboxd: whatever else `ticket` holds (its subject,
    facts, the customer's address) stays out.
    """
    if kind not in EVENTS:
        raise ValueError(f"unknown event kind {kind!r}")
    data: dict[str, Any] = {
        "event": kind,
        "id": key,
        "time": datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds"),
    }
    if ticket is not None:
        data["ticket"] = {
            "ref": ticket.get("ref"),
            "category": ticket.get("category"),
            "language": ticket.get("language"),
            "priority": ticket.get("priority"),
            "state": ticket.get("state"),
            "customer": masked_email(str(ticket["customer"])) if ticket.get("customer") else None,
        }
    if reason is not None:
        data["reason"] = safe_reason(reason)
    if counts:
        data["counts"] = {str(k): int(v) for k, v in counts.items()}
    return data


def encode(data: Mapping[str, Any]) -> str:
    """The JSON text stored and sent: compact, keys sorted, non-ASCII kept (zh categories)."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def slack_text(data: Mapping[str, Any]) -> str:
    """One or two lines for a chat channel."""
    title = _TITLES.get(str(data.get("event")), str(data.get("event")))
    parts = [f"*{title}*"]
    ticket = data.get("ticket")
    if isinstance(ticket, Mapping) and ticket.get("ref"):
        parts.append(f"{ticket['ref']} ({ticket.get('category')}, {ticket.get('language')}, {ticket.get('priority')})")
    if data.get("reason"):
        parts.append(str(data["reason"]))
    counts = data.get("counts")
    if isinstance(counts, Mapping) and counts:
        parts.append(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    return parts[0] if len(parts) == 1 else f"{parts[0]} — {' · '.join(parts[1:])}"


def body(data: Mapping[str, Any], fmt: str) -> bytes:
    """The HTTP body for a receiver of this format, from the recorded payload. `encode` is
    deterministic (keys sorted), so every retry sends the bytes that were recorded."""
    if fmt == "slack":
        return json.dumps({"text": slack_text(data)}, ensure_ascii=False).encode()
    return encode(data).encode()


def signature(secret: str, timestamp: int, data: bytes) -> str:
    """The signature header's value: `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + data, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, data: bytes, now: float, tolerance: float = 300.0) -> bool:
    """A receiver's check (as docs/notify.md describes it): the MAC matches and the time is recent."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, data).split(",v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def headers(key: str, kind: str, data: bytes, secret: str | None, timestamp: int) -> dict[str, str]:
    out = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: key, EVENT_HEADER: kind}
    if secret:
        out[SIGNATURE_HEADER] = signature(secret, timestamp, data)
    return out


def outcome(status: int) -> Outcome:
    """What an HTTP status means for the delivery."""
    if 200 <= status < 300:
        return "delivered"
    if status in (408, 429) or status >= 500 or status < 200:
        return "retry"
    return "give_up"  # the receiver refuses this request: sending it again will not change that


def backoff(attempts: int, base: float = BACKOFF_BASE) -> float:
    """Seconds to wait after the `attempts`-th failed attempt."""
    return float(min(BACKOFF_CAP, base * 2 ** max(0, attempts - 1)))


def target_name(url: str) -> str:
    """A receiver's name in the store: its URL's digest (the URL may hold a token, as Slack's do)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]
