"""Customer secrets in a mail: find them and redact them before anything else reads it.

A customer who pastes a seed phrase, a private key, a password or 2FA backup codes into
an e-mail must be protected: the secret is replaced by a marker such as
`[REDACTED SEED PHRASE]` before the mail is classified, extracted from, stored, logged
or quoted back, and only its kind and position (`Secret`) are kept. Detection runs on
the whole text — quoted history included, since a secret quoted back is still a
secret — and on the subject, headers and the text of small text attachments.

One module per kind of secret, each a pure function from a text to the spans it finds:

| module | finds |
|---|---|
| `seeds` | seed phrases (BIP39 words of any language `mnemonic` ships), with `words` (tokens, wordlists, checksum) |
| `keys` | private keys: 64 hex called a key, WIF, extended private keys, Solana keys, keys in pieces |
| `passwords` | passwords stated in the text |
| `codes` | 2FA backup codes, authenticator setup keys and `otpauth://` links |
| `mail` | the entry points: `find_secrets` (all kinds, merged), `redact`, `redact_mail`, `secret_kinds` |
| `common` | the kinds and their markers, and span helpers the detectors share |

`words` is the only user of `mnemonic`; its wordlists are loaded once.
"""

from inboxd.redact.common import KINDS, PLACEHOLDER
from inboxd.redact.mail import find_secrets, redact, redact_mail, secret_kinds

__all__ = ["KINDS", "PLACEHOLDER", "find_secrets", "redact", "redact_mail", "secret_kinds"]
