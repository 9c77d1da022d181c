"""Prometheus metrics: the only module importing prometheus-client.

What an operator alerts on: mail handled by category and outcome, acknowledgements
sent and failed or withheld by a limit (the hourly budget above all), forged senders,
phishing reports, mail linking to look-alikes of the exchange's domains, quarantined mail, escalations and
SLA breaches, the queue's reply-time estimate, webhook deliveries (failed ones above all), tick duration and
errors, and the
time of the last successful poll per mailbox — so an alert fires when fetching
stops silently. `inboxd_info` carries the version, the model and the config digest.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from inboxd import __version__


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.mails = Counter(
            "inboxd_mails", "Mails decided, by mailbox, category and outcome", ["mailbox", "category", "outcome"],
            registry=r,
        )  # fmt: skip
        self.acks = Counter("inboxd_acks_sent", "Acknowledgements accepted by the SMTP server", ["mailbox"], registry=r)
        self.ack_problems = Counter(
            "inboxd_ack_problems",
            "Acknowledgements retried, refused or of unknown fate",
            ["mailbox", "state"],
            registry=r,
        )
        self.quarantined = Counter("inboxd_quarantined", "Mails quarantined", ["mailbox"], registry=r)
        self.escalations = Counter("inboxd_escalations", "Tickets escalated", ["mailbox"], registry=r)
        self.spoofed = Counter(
            "inboxd_forged_senders", "Mails whose From the trusted receiving server found forged", ["mailbox"],
            registry=r,
        )  # fmt: skip
        self.phishing_reports = Counter(
            "inboxd_phishing_reports", "Phishing reports handed to the security team (escalated)", ["mailbox"],
            registry=r,
        )  # fmt: skip
        self.lookalikes = Counter(
            "inboxd_lookalike_mails", "Mails that link to a look-alike of an official domain", ["mailbox"], registry=r
        )
        # Alert on reason="budget": automatic mail has stopped for the hour (ack.max_per_hour).
        self.withheld = Counter(
            "inboxd_acks_withheld",
            "Acknowledgements not sent because of a limit (rate_limited, domain_limited, budget)",
            ["mailbox", "reason"],
            registry=r,
        )
        # Alert on outcome="failed": an event that needed a person reached nobody (docs/notify.md).
        self.webhooks = Counter(
            "inboxd_webhooks", "Webhook deliveries, by outcome (delivered, retrying, failed)", ["mailbox", "outcome"],
            registry=r,
        )  # fmt: skip
        self.tick_seconds = Histogram(
            "inboxd_poll_duration_seconds", "Duration of one poll of a mailbox", ["mailbox"], registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
        )  # fmt: skip
        self.tick_errors = Counter("inboxd_poll_errors", "Polls that failed", ["mailbox"], registry=r)
        self.last_success = Gauge(
            "inboxd_last_successful_poll_timestamp_seconds", "Unix time of the last successful poll", ["mailbox"],
            registry=r,
        )  # fmt: skip
        self.backlog = Gauge("inboxd_backlog", "New mails found by the last poll", ["mailbox"], registry=r)
        # The reply time the queue suggests (inboxd.promise): unresolved tickets over the recent rate
        # of resolution, in business seconds (0: no estimate), as the last acknowledgement saw it.
        self.reply_estimate = Gauge(
            "inboxd_reply_estimate_seconds", "Reply time estimated from the queue", ["mailbox", "category"],
            registry=r,
        )  # fmt: skip
        self.open_tickets = Gauge(
            "inboxd_open_tickets", "Unresolved tickets by category, as the last acknowledgement saw them",
            ["mailbox", "category"], registry=r,
        )  # fmt: skip
        self.sla_breaches = Counter(
            "inboxd_sla_breaches", "Tickets escalated because a first-response or resolution due time passed",
            ["mailbox"], registry=r,
        )  # fmt: skip
        self.info = Gauge("inboxd_info", "Version, model and config in use", ["version", "model", "config"], registry=r)

    def set_info(self, model: str, config: str) -> None:
        self.info.clear()
        self.info.labels(version=__version__, model=model, config=config).set(1)

    def serve(self, listen: str) -> None:
        """Serve /metrics on host:port in a daemon thread."""
        host, _, port = listen.rpartition(":")
        start_http_server(int(port), addr=host or "0.0.0.0", registry=self.registry)
