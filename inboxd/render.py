"""Templates -> acknowledgement subject and body: the only module importing Jinja2.

Wording lives in `templates/<lang>/`: `subject.txt.j2`, a base `ack.txt.j2`, one
template per category (usually extending the base), `security_incident.txt.j2` for a
mail that held a customer secret, `phishing_report.txt.j2` for a mail asking whether
something is really ours (inboxd.phishing), and `fields.toml` with the
label of each fact and the one-line request for each missing field. Everything is
checked when loaded — syntax, unknown variables, missing files and a trial render
with sample values — so a broken template stops start-up instead of a customer mail.

No acknowledgement may hold a link to a domain that is not official: the trial render
gives every template a lookalike domain to list, and any domain a mail client would make
a link of in the result (`foreign_domains`) is a problem; `acknowledge` checks every
acknowledgement it builds the same way before it can be sent.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from jinja2.sandbox import SandboxedEnvironment

from inboxd.assets import FACT_KINDS, LANGUAGES, Assets
from inboxd.errors import ConfigError, Problem
from inboxd.phishing import defang, foreign_domains

# The variables a template may use; anything else is an error at start-up.
VARIABLES: Mapping[str, str] = {
    "ticket": "ticket reference, e.g. INB-000123",
    "subject": "the customer's subject when it may be quoted (authenticated sender, no link material), else empty",
    "reply_subject": "that subject with one 'Re: ', or empty: then use your own wording",
    "customer_name": "display name from the From header when it may be quoted, else empty",
    "category": "category key, e.g. deposit_withdrawal",
    "category_name": "category display name in the template's language",
    "understood": "list of {label, value}: the facts we read in the mail (authenticated senders only)",
    "understood_kinds": "labels of the kinds of fact we read, when their values are not repeated",
    "missing": "list of {field, label, ask}: what we still need",
    "reply_within_hours": "the promise in hours ([ack] reply_within_hours, or reply_within's number)",
    "reply_by": "when the customer will hear from us, e.g. 'Monday 27 Nov, 18:00 (Beijing time)'; empty if unknown",
    "high_volume": "true when the category's queue is above [ack] surge_backlog",
    "team": "the sender name (smtp.from_name)",
    "secret_kinds": "kinds of secret removed from the mail: seed_phrase, private_key, password, backup_code",
    "links": "list of {domain, verdict}: each domain in the mail, written so that it is no link "
    "(exchange-support[.]net), and official | lookalike | other",
    "official_domains": "the exchange's own domains ([trust] official_domains)",
}
# The note after an address whose checksum fails ([facts] in fields.toml).
INVALID_ADDRESS = "address_invalid"
# The acknowledgement of a mail that held a customer secret, whatever its category.
SECURITY_TEMPLATE = "security_incident"
# The acknowledgement of a phishing report, whatever its category (unless it held a secret).
PHISHING_TEMPLATE = "phishing_report"
# What the trial render lists and allows: a lookalike must come out as no link.
SAMPLE_OFFICIAL = ("exchange.example",)
_SAMPLE_LINKS = (("exchange-support.net", "lookalike"), ("exchange.example", "official"), ("example.org", "other"))


@dataclass(frozen=True, slots=True)
class FieldText:
    label: str
    ask: str


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str


class Renderer:
    """Renders acknowledgements; construct with `load_templates`, which validates everything."""

    def __init__(
        self,
        env: SandboxedEnvironment,
        fields: dict[str, dict[str, FieldText]],
        facts: dict[str, dict[str, str]],
    ):
        self._env = env
        self.field_text = fields  # lang -> field -> text
        self.fact_labels = facts  # lang -> fact kind -> label
        # The compiled templates and their globals as one dict, by name: the sources are a snapshot
        # that never changes (a reload builds another Renderer), so Jinja's own cache, which checks
        # each template is still up to date on every use, is passed over.
        self._templates: dict[str, tuple[jinja2.Template, dict[str, Any]]] = {}

    def _template(self, name: str) -> tuple[jinja2.Template, dict[str, Any]]:
        found = self._templates.get(name)
        if found is None:
            template = self._env.get_template(name)
            found = self._templates[name] = (template, dict(template.globals))
        return found

    def _render(self, name: str, context: Mapping[str, Any]) -> str:
        """`Template.render(context)`, less the work it repeats for every call: it copies the
        template's globals out of a ChainMap twice per call (once for the variables, once for
        their names, which only `{% import %}` of a template's own module reads), half of what
        rendering an acknowledgement cost. The variables are the same: the globals, then `context`."""
        env = self._env
        template, globals_ = self._template(name)
        variables = {**globals_, **context}
        state = env.context_class(env, variables, template.name, template.blocks)
        try:
            return env.concat(template.root_render_func(state))
        except Exception:
            env.handle_exception()

    def render(self, language: str, template: str, context: Mapping[str, Any]) -> Rendered:
        subject = self._render(f"{language}/subject.txt.j2", context)
        body = self._render(f"{language}/{template}.txt.j2", context)
        return Rendered(subject=" ".join(subject.split()), body=body.strip() + "\n")


def _snapshot(root: Path) -> dict[str, str]:
    """Every template file's text, read once.

    The running daemon renders what was validated at start-up (or at the last accepted
    reload), never a file an operator is half-way through editing.
    """
    sources: dict[str, str] = {}
    for path in sorted(root.rglob("*.j2")):
        try:
            sources[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # reported as "cannot read" by the per-template check
    return sources


def _environment(sources: dict[str, str]) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=jinja2.DictLoader(sources),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain-text mail, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _load_fields(
    root: Path, language: str, assets: Assets, problems: list[Problem]
) -> tuple[dict[str, FieldText], dict[str, str]]:
    path = root / language / "fields.toml"
    fields: dict[str, FieldText] = {}
    facts: dict[str, str] = {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(str(path), "", "file is missing"))
        return fields, facts
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        problems.append(Problem(str(path), "", f"cannot read: {exc}"))
        return fields, facts
    for extra in sorted(set(data) - {"fields", "facts"}):
        problems.append(Problem(str(path), extra, "unknown key"))
    for name in assets.fields:
        spec = data.get("fields", {}).get(name)
        if not isinstance(spec, dict) or not all(isinstance(spec.get(k), str) and spec[k] for k in ("label", "ask")):
            problems.append(Problem(str(path), f"fields.{name}", "needs a label and an ask (both non-empty strings)"))
            continue
        fields[name] = FieldText(label=spec["label"], ask=spec["ask"])
    for name in sorted(set(data.get("fields", {})) - set(assets.fields)):
        problems.append(Problem(str(path), f"fields.{name}", "not a field defined in categories.toml"))
    for kind in sorted(FACT_KINDS | {INVALID_ADDRESS}):
        label = data.get("facts", {}).get(kind)
        if not isinstance(label, str) or not label:
            problems.append(Problem(str(path), f"facts.{kind}", "needs a label"))
        else:
            facts[kind] = label
    return fields, facts


def sample_context(language: str, missing: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    return {
        "ticket": "INB-000001",
        "subject": "Withdrawal not received",
        "reply_subject": "Re: Withdrawal not received",
        "customer_name": "Sample Customer",
        "category": "deposit_withdrawal",
        "category_name": "Deposits and withdrawals",
        "understood": [{"label": "Amount", "value": "0.5 BTC"}],
        "understood_kinds": ["Amount"],
        "missing": list(missing),
        "reply_within_hours": 24,
        "reply_by": "Monday 27 Nov, 18:00 (Beijing time)" if language == "en" else "11月27日（周一）18:00（北京时间）",
        "high_volume": True,  # so that the surge wording is tried
        "team": "Support",
        # Every kind, so that every branch of the security-incident wording is tried.
        "secret_kinds": ["seed_phrase", "private_key", "password", "backup_code"],
        "links": [{"domain": defang(domain), "verdict": verdict} for domain, verdict in _SAMPLE_LINKS],
        "official_domains": list(SAMPLE_OFFICIAL),
    }


def load_templates(root: Path, assets: Assets) -> Renderer:
    """Load and check every template; raise ConfigError listing all problems."""
    problems: list[Problem] = []
    sources = _snapshot(root)
    env = _environment(sources)
    field_text: dict[str, dict[str, FieldText]] = {}
    fact_labels: dict[str, dict[str, str]] = {}
    names = {"subject", "ack", "confirmation", "resolution", SECURITY_TEMPLATE, PHISHING_TEMPLATE}
    names |= {c.template for c in assets.categories.values()}
    for language in LANGUAGES:
        field_text[language], fact_labels[language] = _load_fields(root, language, assets, problems)
        for name in sorted(names):
            rel = f"{language}/{name}.txt.j2"
            path = root / rel
            if not path.is_file():
                problems.append(Problem(str(path), "", "template is missing"))
                continue
            if rel not in sources:
                problems.append(Problem(str(path), "", "cannot read it (permissions, or not UTF-8)"))
                continue
            try:
                ast = env.parse(sources[rel], name=rel, filename=str(path))
            except jinja2.TemplateSyntaxError as exc:
                problems.append(Problem(str(path), f"line {exc.lineno}", f"template syntax error: {exc.message}"))
                continue
            unknown = sorted(jinja2.meta.find_undeclared_variables(ast) - set(VARIABLES))
            if unknown:
                problems.append(
                    Problem(
                        str(path),
                        ", ".join(unknown),
                        f"unknown template variable(s); known: {sorted(VARIABLES)}",
                    )
                )
                continue
            sample_missing = [{"field": f, "label": t.label, "ask": t.ask} for f, t in field_text[language].items()]
            try:
                body = env.get_template(rel).render(sample_context(language, sample_missing))
                foreign = foreign_domains(body, SAMPLE_OFFICIAL)
                if foreign:
                    problems.append(
                        Problem(
                            str(path),
                            ", ".join(foreign),
                            "a mail client would make a link of a domain that is not official: write domains "
                            "as the `links` variable gives them (exchange-support[.]net)",
                        )
                    )
            except jinja2.TemplateError as exc:
                line = getattr(exc, "lineno", None)
                problems.append(Problem(str(path), f"line {line}" if line else "", f"fails to render: {exc}"))
            except Exception as exc:  # a template can raise anything; the operator must see it
                problems.append(Problem(str(path), "", f"fails to render: {type(exc).__name__}: {exc}"))
    if problems:
        raise ConfigError(problems)
    return Renderer(env, field_text, fact_labels)
