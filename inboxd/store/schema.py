"""The SQLite schema and its migrations. Version N is the base schema plus migrations 2..N."""

from __future__ import annotations

BASE = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
    account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,
    last_uid INTEGER NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (account, folder, uidvalidity)
);
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ref TEXT UNIQUE,
    customer TEXT NOT NULL, subject TEXT NOT NULL, category TEXT NOT NULL, language TEXT NOT NULL,
    state TEXT NOT NULL, priority TEXT NOT NULL DEFAULT 'normal',
    missing TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,
    message_id TEXT, content_hash TEXT, size INTEGER,
    state TEXT NOT NULL DEFAULT 'new',
    action TEXT, skip_reason TEXT, reason TEXT,
    sender TEXT, subject TEXT, language TEXT, category TEXT, confidence REAL, rule TEXT,
    facts TEXT, missing TEXT,
    ticket_id INTEGER REFERENCES tickets(id),
    duplicate_of INTEGER REFERENCES messages(id),
    synced INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL, updated_at REAL NOT NULL,
    UNIQUE (account, folder, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS messages_message_id ON messages (account, message_id);
CREATE INDEX IF NOT EXISTS messages_hash ON messages (account, content_hash);
CREATE INDEX IF NOT EXISTS messages_unsynced ON messages (account, folder, uidvalidity) WHERE synced = 0;
CREATE TABLE IF NOT EXISTS acks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_row INTEGER NOT NULL UNIQUE REFERENCES messages(id),
    ticket_id INTEGER REFERENCES tickets(id),
    to_addr TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE, in_reply_to TEXT, refs TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL, sent_at REAL
);
CREATE INDEX IF NOT EXISTS acks_state ON acks (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL);
"""

# Each entry moves the schema from version i+1 to i+2; applied in one transaction each.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 2: tickets that thread, reopen and escalate; bounces and per-sender limits
        "ALTER TABLE tickets ADD COLUMN subject_key TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE tickets ADD COLUMN facts TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE tickets ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE tickets ADD COLUMN escalation_reason TEXT",
        "ALTER TABLE tickets ADD COLUMN security_incident INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE tickets ADD COLUMN resolved_at REAL",
        "ALTER TABLE tickets ADD COLUMN last_customer_at REAL",
        "CREATE INDEX IF NOT EXISTS tickets_customer ON tickets (customer, state, updated_at)",
        "ALTER TABLE messages ADD COLUMN role TEXT",
        "ALTER TABLE messages ADD COLUMN escalation TEXT",
        "ALTER TABLE messages ADD COLUMN agent_resolved INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX IF NOT EXISTS messages_ticket ON messages (ticket_id, created_at)",
        "CREATE INDEX IF NOT EXISTS messages_pending ON messages (account, folder, uidvalidity) WHERE state = 'new'",
        "ALTER TABLE acks ADD COLUMN kind TEXT NOT NULL DEFAULT 'ack'",
        "CREATE INDEX IF NOT EXISTS acks_recipient ON acks (to_addr, created_at)",
        "CREATE INDEX IF NOT EXISTS acks_ticket ON acks (ticket_id)",
        """CREATE TABLE IF NOT EXISTS ticket_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id INTEGER NOT NULL REFERENCES tickets(id),
            at REAL NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '',
            message_row INTEGER REFERENCES messages(id)
        )""",
        "CREATE INDEX IF NOT EXISTS ticket_events_ticket ON ticket_events (ticket_id, at)",
        """CREATE TABLE IF NOT EXISTS suppressions (
            address TEXT PRIMARY KEY, reason TEXT NOT NULL, created_at REAL NOT NULL
        )""",
    ),
    (  # 3: per-mailbox poll status, for `inboxd status` and alerts
        """CREATE TABLE IF NOT EXISTS mailbox_status (
            name TEXT PRIMARY KEY, account TEXT NOT NULL, folder TEXT NOT NULL,
            last_poll_at REAL, last_success_at REAL, last_error TEXT, last_error_at REAL,
            backlog INTEGER NOT NULL DEFAULT 0, last_seconds REAL
        )""",
    ),
    (  # 4: a reply found by customer and subject without reading every ticket
        "CREATE INDEX IF NOT EXISTS tickets_customer_subject ON tickets (lower(customer), subject_key)",
    ),
    (  # 5: the copies of a message found without reading every message (when its ack ends)
        "CREATE INDEX IF NOT EXISTS messages_duplicate_of ON messages (duplicate_of) WHERE duplicate_of IS NOT NULL",
    ),
    (  # 6: acks reserved for sending several at a time, each marked when its SMTP transaction begins
        "ALTER TABLE acks ADD COLUMN reserved_boot TEXT",
        "ALTER TABLE acks ADD COLUMN attempt_at REAL",
    ),
    (  # 7: sender trust: the verdict on each mail and ticket opener, Reply-To kept for agents only,
        # and the per-domain and hourly limits of automatic mail counted without reading every ack
        "ALTER TABLE messages ADD COLUMN sender_verdict TEXT",
        "ALTER TABLE messages ADD COLUMN sender_evidence TEXT",
        "ALTER TABLE messages ADD COLUMN reply_to TEXT",
        "ALTER TABLE tickets ADD COLUMN sender_verdict TEXT",
        "ALTER TABLE acks ADD COLUMN to_domain TEXT",
        "CREATE INDEX IF NOT EXISTS acks_domain ON acks (to_domain, created_at)",
        "CREATE INDEX IF NOT EXISTS acks_created ON acks (created_at)",
    ),
    (  # 8: events for the webhooks ([[notify]]), each committed with the change that caused it, and
        # their delivery to each receiver; a resolved ticket's notice and its closing
        """CREATE TABLE IF NOT EXISTS notify_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
            account TEXT NOT NULL, folder TEXT NOT NULL,
            ticket_id INTEGER REFERENCES tickets(id),
            payload TEXT NOT NULL, fanned INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS notify_events_unfanned ON notify_events (account, folder) WHERE fanned = 0",
        """CREATE TABLE IF NOT EXISTS notify_deliveries (
            event_id INTEGER NOT NULL REFERENCES notify_events(id), target TEXT NOT NULL,
            state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL DEFAULT 0,
            last_error TEXT, updated_at REAL NOT NULL, delivered_at REAL,
            PRIMARY KEY (event_id, target)
        )""",
        "CREATE INDEX IF NOT EXISTS notify_deliveries_due ON notify_deliveries (state, next_attempt_at)",
        "ALTER TABLE tickets ADD COLUMN notice TEXT",
        "ALTER TABLE tickets ADD COLUMN closed_at REAL",
        # Read on every tick: the tickets to close, the notices to send, without reading every ticket.
        "CREATE INDEX IF NOT EXISTS tickets_resolved ON tickets (state, resolved_at)",
        "CREATE INDEX IF NOT EXISTS tickets_notice_due ON tickets (id) WHERE notice = 'due'",
    ),
    (  # 9: business-hours promises and SLA: due times per ticket, the earliest unmet one (sla_due,
        # cleared on resolution) found by one indexed query per tick; the queue counted per category
        "ALTER TABLE tickets ADD COLUMN first_response_due REAL",
        "ALTER TABLE tickets ADD COLUMN resolution_due REAL",
        "ALTER TABLE tickets ADD COLUMN first_response_at REAL",
        "ALTER TABLE tickets ADD COLUMN sla_due REAL",
        "ALTER TABLE tickets ADD COLUMN sla_breach TEXT",
        "ALTER TABLE tickets ADD COLUMN sla_breached_at REAL",
        "CREATE INDEX IF NOT EXISTS tickets_sla_due ON tickets (sla_due) WHERE sla_due IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS tickets_state_category ON tickets (state, category)",
        "CREATE INDEX IF NOT EXISTS tickets_resolved_at ON tickets (resolved_at) WHERE resolved_at IS NOT NULL",
    ),
    (  # 10: the operator console: the redacted text the model read (kept [console] keep_text_days),
        # the runner-up, an operator's correction, and the audit log of operator actions
        "ALTER TABLE messages ADD COLUMN model_text TEXT",
        "ALTER TABLE messages ADD COLUMN runner_up TEXT",
        "ALTER TABLE messages ADD COLUMN runner_up_confidence REAL",
        "ALTER TABLE messages ADD COLUMN corrected_category TEXT",
        "ALTER TABLE messages ADD COLUMN corrected_intent TEXT",
        "CREATE INDEX IF NOT EXISTS messages_text_kept ON messages (created_at) WHERE model_text IS NOT NULL",
        """CREATE TABLE IF NOT EXISTS console_audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT ''
        )""",
    ),
)

VERSION = 1 + len(MIGRATIONS)
