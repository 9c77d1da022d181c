"""inboxd: a support-inbox processor for cryptocurrency exchanges and wallets.

It polls an IMAP mailbox, parses and screens each mail, classifies it, extracts
transaction IDs and other facts, flags the information that is missing, and sends
one templated acknowledgement per mail by SMTP — never two, never to a robot.
"""

__version__ = "0.1.0"
