"""The classifier's commands: `check` the assets, `train` the model, `evaluate` it, and `correct`
a ticket's category (which feeds the next training)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import click

from inboxd.cli.common import EXIT_CONFIG, EXIT_FAILED, Ctx, config_fail, err, fail, out, pass_ctx, store_of
from inboxd.errors import ConfigError, Problem
from inboxd.terminal import Table, json_text, styled


@click.command()
@click.option("--no-model", is_flag=True, help="Do not check that the stored model matches the examples.")
@pass_ctx
def check(ctx: Ctx, no_model: bool) -> None:
    """Validate config.toml, classifiers/ and templates/; list every problem (exit 2 on any)."""
    from inboxd import credentials
    from inboxd.classifier import settings_of
    from inboxd.compose import load_app
    from inboxd.config import load_configs

    problems: list[Problem] = []
    app = None
    try:
        for config in load_configs(ctx.config_path):  # every mailbox's password, token file, token command
            problems.extend(credentials.problems(config))
        app = load_app(ctx.config_path, with_model=not no_model)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if app is not None:
        try:
            settings_of(app.assets)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        config_fail(ConfigError(problems))
    assert app is not None
    out.print(
        f"OK: {ctx.config_path}, {len(app.assets.categories)} categories, {len(app.assets.rules)} rules, "
        f"{sum(1 for _ in app.assets.examples())} examples, templates for {', '.join(sorted(app.renderer.field_text))}"
        + ("" if no_model else ", model up to date")
    )


@click.command()
@pass_ctx
def train(ctx: Ctx) -> None:
    """Train the model from classifiers/examples and store it (classifier.model_path)."""
    from inboxd.classifier import save_model, settings_of
    from inboxd.classifier.training import train as fit

    app = ctx.app(with_model=False)
    try:
        settings = settings_of(app.assets)
    except ConfigError as exc:
        config_fail(exc)
    with err.status("training…"):
        model = fit(app.assets, settings)
    save_model(model, app.config.classifier.model_path)
    out.print(
        f"trained on {model.meta['examples']} examples ({model.meta['labels']} labels) in "
        f"{model.meta['train_seconds']} s → {app.config.classifier.model_path}"
    )


def _fold_count(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    """`--cv`: 2 to 20 folds, or 0 / `all` (one group per fold, with --group-by)."""
    folds = 0 if value.strip().lower() == "all" else None
    if folds is None:
        try:
            folds = int(value)
        except ValueError:
            folds = -1
    if folds != 0 and not 2 <= folds <= 20:
        raise click.BadParameter(f"{value!r} is not 2 to 20, or 0 / all")
    return folds


@click.command()
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Score this text,category CSV with a model trained on all the examples (default: cross-validation).",
)
@click.option(
    "--cv",
    "folds",
    default="5",
    show_default=True,
    callback=_fold_count,
    help="Folds of cross-validation (2-20); with --group-by, 0 or `all`: one group per fold.",
)
@click.option(
    "--group-by",
    type=click.Choice(["writer", "source"]),
    help="Hold out whole writers (or example files) in cross-validation; figures per group (with --data too).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Shuffles the cross-validation folds.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path, file_okay=False), help="Write DIR/index.html.")
@click.option(
    "--compare",
    "old_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="A previous classifiers/ folder: score the same data (or folds) with both; list the mails that change.",
)
@pass_ctx
def evaluate(
    ctx: Ctx,
    *,
    data: Path | None,
    folds: int,
    group_by: str | None,
    seed: int,
    as_json: bool,
    report_dir: Path | None,
    old_dir: Path | None,
) -> None:
    """Measure the classifier: per-category precision/recall/F1, macro-F1, confusion, the floor's effect.

    Without --data: K-fold cross-validation on classifiers/examples (every example scored by a
    model that never saw it). With --data: that CSV scored by a model trained on all examples
    (the stored one when it is up to date). --compare scores the same data (or the same folds,
    each old model trained on the old examples less the fold's texts) with the old folder too.
    --group-by writer: no writer is on both sides of a fold (a file without a writer column is
    its own writer), so the figures say how the model does on mail from someone it never saw.
    """
    from inboxd.assets import load_assets, read_examples
    from inboxd.classifier import load_classifier, settings_of
    from inboxd.classifier.training import cross_validated, train_classifier
    from inboxd.evaluate import compare
    from inboxd.evaluate import evaluate as score
    from inboxd.report import write_report

    if folds == 0 and group_by is None:
        raise click.BadParameter("0 (all) folds needs --group-by", param_hint="--cv")
    app = ctx.app(with_model=False)
    assets = app.assets
    started = time.monotonic()
    comparison = None
    try:
        if data is None:
            floor = settings_of(assets).confidence_floor
            kind = f"{folds}-fold" if folds else f"leave-one-{group_by}-out"
            kind += f" cross-validation, whole {group_by}s held out," if folds and group_by else " cross-validation"
            with err.status(f"{kind}…"):
                examples, decisions = cross_validated(assets, folds, seed, group_by=group_by)
            method = f"{kind} on {assets.root / 'examples'}"
            if old_dir is None:
                ev = score(examples, decisions, assets.category_names, floor, method, group_by)
            else:
                old_assets = load_assets(old_dir)
                names = tuple(dict.fromkeys(assets.category_names + old_assets.category_names))
                with err.status(f"the same folds with {old_dir}…"):
                    _, old_decisions = cross_validated(assets, folds, seed, scored_by=old_assets, group_by=group_by)
                ev = score(examples, decisions, names, floor, method, group_by)
                old_floor = settings_of(old_assets).confidence_floor
                comparison = compare(
                    score(examples, old_decisions, names, old_floor, f"{method}, by {old_dir}", group_by), ev
                )
        else:
            rows = list(read_examples(data, assets.category_names))
            if not rows:
                fail(EXIT_CONFIG, f"{data}: no examples")
            texts = [r.text for r in rows]
            with err.status("loading (or training) the model…"):
                classifier = load_classifier(assets, app.config.classifier.model_path, train_if_stale=True)
            names = assets.category_names
            old = None
            if old_dir is not None:
                old_assets = load_assets(old_dir)
                with err.status(f"training the model of {old_dir}…"):
                    old = train_classifier(old_assets)
                names = tuple(dict.fromkeys(names + old_assets.category_names))
            method = f"{data}, scored by a model trained on {assets.root / 'examples'}"
            ev = score(rows, classifier.classify(texts), names, classifier.floor, method, group_by)
            if old is not None:
                old_ev = score(rows, old.classify(texts), names, old.floor, f"{data}, scored by {old_dir}", group_by)
                comparison = compare(old_ev, ev)
    except ConfigError as exc:
        config_fail(exc)
    seconds = round(time.monotonic() - started, 2)
    if report_dir is not None:
        err.print(f"report: {write_report(report_dir, ev, comparison)}")
    if as_json:
        result = ev.to_json() | {"seconds": seconds}
        if comparison is not None:
            result["compare"] = comparison.to_json()
        print(json_text(result))
        return
    _print_evaluation(ev)
    if comparison is not None:
        _print_comparison(comparison)
    out.print(f"({seconds} s)")


def _print_evaluation(ev: Any) -> None:
    from inboxd.evaluate import SUGGESTION_TOLERANCE

    out.print(ev.method)
    table = Table("category", "precision", "recall", "F1", "support", title="Per category")
    for s in ev.per_category:
        table.add_row(s.category, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support))
    out.print(table)
    out.print(styled(f"macro-F1 {ev.macro_f1:.4f}", "bold"), f" accuracy {ev.accuracy:.4f}  ({len(ev.scored)} mails)")
    if ev.predicted_outside_data:
        out.print(f"decided as a category the data has no example of: {ev.predicted_outside_data}")
    matrix = Table("truth \\ decided", *(c[:12] for c in ev.categories), title="Confusion matrix")
    for name, row in zip(ev.categories, ev.confusion, strict=True):
        matrix.add_row(name, *(str(n) for n in row))
    out.print(matrix)
    at = ev.at_floor
    out.print(
        f"confidence floor {ev.floor:.2f}: {100 * at.coverage:.1f}% decided automatically, "
        f"{100 * at.accuracy_covered:.1f}% of them right; the rest go to other. "
        f"Suggested floor (the highest within {SUGGESTION_TOLERANCE} macro-F1 of the best): {ev.suggested_floor:.2f}"
    )
    if ev.at_confidence:
        calibration = Table("confidence ≥", "share", "right", "mails", title="Calibration (model decisions)")
        for a in ev.at_confidence:
            calibration.add_row(f"{a.threshold:.2f}", f"{100 * a.share:.1f}%", f"{100 * a.accuracy:.1f}%", str(a.n))
        out.print(calibration)
        out.print(f"expected calibration error {ev.ece:.4f} (0 = a confidence of 0.9 is right nine times in ten)")
    if len(ev.by_source) > 1:
        for name, (f1, acc, n) in ev.by_source.items():
            out.print(f"  {name}: macro-F1 {f1:.4f}, accuracy {acc:.4f}, n={n}")
    if ev.group_by is not None and ev.group_by != "source":
        out.print(f"per {ev.group_by}:")
        for name, (f1, acc, n) in ev.by_group.items():
            out.print(f"  {name}: macro-F1 {f1:.4f}, accuracy {acc:.4f}, n={n}")


def _print_comparison(comparison: Any) -> None:
    old, new = comparison.old, comparison.new
    out.rule("compared with the previous version")
    out.print(
        f"macro-F1 {old.macro_f1:.4f} → {new.macro_f1:.4f}, accuracy {old.accuracy:.4f} → {new.accuracy:.4f}; "
        f"{len(comparison.changes)} mails changed category"
    )
    table = Table("text", "truth", "before", "now", "effect", title="Mails whose category changed")
    for c in comparison.changes:
        table.add_row(c.example.text[:120], c.example.category, c.old.category, c.new.category, c.effect)
    out.print(table)


@click.command()
@click.argument("ref")
@click.argument("category")
@click.option("--intent", default="", help="The intent within the category (optional).")
@click.option(
    "--who", default=lambda: os.environ.get("USER", "cli"), show_default="$USER", help="Your name, for the audit log."
)
@pass_ctx
def correct(ctx: Ctx, ref: str, category: str, intent: str, who: str) -> None:
    """Correct the category of ticket REF's first mail: added to classifiers/examples/corrections.csv."""
    from inboxd.console.auth import operator_name
    from inboxd.console.corrections import correct as record

    name = operator_name(who)
    if name is None:
        fail(EXIT_CONFIG, "--who is 1-64 letters, digits, '.', '_', '@' or '-'")
    app = ctx.app(with_model=False)
    store = store_of(ctx)
    row = store.message_by_ticket(ref)
    if row is None:
        fail(EXIT_FAILED, f"no ticket {ref}")
    try:
        done = record(store, app.assets, row, category, intent, name)
    except ValueError as exc:
        fail(EXIT_CONFIG, str(exc))
    out.print(f"{ref}: {done.category}{'/' + done.intent if done.intent else ''}, added to corrections.csv")
