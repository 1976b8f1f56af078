"""`radslag feedback`: export officials' verdicts as gold-format candidates for the question bank."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from radslag.settings import Settings

feedback_app = typer.Typer(help="Officials' feedback on answers.", no_args_is_help=True)
err = Console(stderr=True)


def export_candidates(settings: Settings, out: Path, verdict: str | None = None) -> int:
    """Write one gold-format candidate per feedback record (newest first) to ``out``; returns how many."""
    from radslag.db import Database
    from radslag.feedback import FeedbackStore, gold_candidate

    db = Database(settings.database)
    try:
        records = FeedbackStore(db).list(verdict)
    finally:
        db.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(gold_candidate(record), ensure_ascii=False) + "\n")
    return len(records)


@feedback_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="The JSON Lines file to write.")],
    verdict: Annotated[str | None, typer.Option(help="Only 'helpful' or only 'wrong'.")] = None,
) -> None:
    """Gold-format candidates (eval/data/FORMAT.md) with each verdict and comment, for editors to check."""
    if verdict not in (None, "helpful", "wrong"):
        raise typer.BadParameter("verdict must be 'helpful' or 'wrong'")
    n = export_candidates(Settings(), out, verdict)
    err.print(f"wrote {n} candidates to {out}")
