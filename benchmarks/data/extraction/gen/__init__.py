"""Deterministic generator of the inboxd extraction benchmark corpus (../mails/NNN.eml, ../labels.jsonl).

    python -m benchmarks.data.extraction.gen [--out DIR]    # from the repo root

Every run with the same SEED reproduces the same bytes. Only the standard library plus
mnemonic, base58, bech32m and pycryptodome (all inboxd dependencies) are used. All hashes,
addresses, keys, seed phrases, passwords and codes it writes are freshly generated random
test values: they control no funds and belong to nobody.

The scenario texts are data (data/*.toml, see scenarios.py for their keys); the code is:

| module | owns |
| --- | --- |
| `values` | the one `random.Random(SEED)`, the values already used, plain value makers |
| `chain` | addresses, mistyped addresses, tx hashes, keys and seed phrases, and their checksums |
| `persona` | the simulated customer (names from data/names.toml) |
| `template` | the mini-language below, rendered into text and labels (`Ctx`) |
| `quoting` | dates and the quoted history of each client (text/plain) |
| `htmlpart` | the text/html part of each client |
| `mime` | hand-built MIME: encoded words, folding, encodings, multiparts, attachments |
| `clients` | per-client profiles, headers, signatures, Message-IDs, boundaries |
| `scenarios` | loads the scenarios and the support replies customers quote |
| `build` | one mail and its labels; `generate()` writes the corpus |

Template mini-language (used in the scenario texts):
  [[a|b|c]]                 pick one variant at random (never holds labels)
  {{surface|value|ASSET|NET}}  an amount; rendered as `surface`, labelled
                            as value/asset/network ("-" = null).  Several
                            alternatives may be separated by "//"
  {kind:spec}               a generated value, see Ctx.make().  A spec
                            "a/b" picks alternative number (instance % 2);
                            "spec#k" reuses the same value for key k.
Labelled kinds: tx ord addr bad seed pk pw bk uid email phone.
Unlabelled kinds (quotes, signatures, negatives): ntx nord naddr nphone
nemail hex HEX b58 b64 code6 digits pgp same ticket first last ...
"""
