"""`radslag` command line: ingest, inspect, ask, serve, eval, train, bench."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from radslag.feedback_cli import feedback_app
from radslag.settings import Settings
from radslag.users_cli import users_app

app = typer.Typer(help="Rådslag: questions and answers over the city's committee documents.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
app.add_typer(users_app, name="users")
app.add_typer(feedback_app, name="feedback")


def _components(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    from radslag.components import Components

    return Components(settings or Settings())


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug output.")] = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: the sample corpus).")] = None,
    reset: Annotated[bool, typer.Option(help="Empty the index first.")] = False,
    prune: Annotated[bool, typer.Option(help="Delete indexed documents whose files are not among PATHS.")] = False,
    visibility: Annotated[str, typer.Option(help="public or internal.")] = "public",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Ingest files into the index: clean, structure, chunk, embed, store. Re-runs are no-ops."""
    if visibility not in ("public", "internal"):
        raise typer.BadParameter("visibility must be 'public' or 'internal'")
    from radslag import library

    comps = _components()
    targets = paths or [comps.settings.corpus_dir]
    missing = [p for p in targets if not p.exists()]
    if missing:
        err.print(f"[red]No such file or folder:[/red] {', '.join(map(str, missing))}")
        raise typer.Exit(2)
    with library.writing(comps.settings), Progress(
        TextColumn("[bold]Embedding chunks"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, disable=as_json or not err.is_terminal, transient=True,
    ) as bar:
        # A running server's replicas write to the same index: one writer at a time.
        if reset:
            comps.store.reset()
            comps.documents.reset()
        task = bar.add_task("embed", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = comps.ingestor.ingest(targets, prune=prune, visibility=visibility, progress=progress)
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    table = Table(title="Ingest summary")
    for col in ("file", "status", "pages", "chunks", "committees", "note"):
        table.add_column(col)
    for f in report.files:
        table.add_row(f.source, f.status, str(f.pages or ""), str(f.chunks), str(len(f.committees) or ""), f.reason or "")
    console.print(table)
    d = report.as_dict()
    console.print(
        f"indexed {d['indexed']}, unchanged {d['unchanged']}, skipped {len(d['skipped'])}, "
        f"chunks added {d['chunks_added']}, pruned {len(d['pruned'])}; index holds {comps.store.count()} chunks"
    )


@app.command()
def inspect(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List what the index holds: documents, chunks, committees."""
    comps = _components()
    docs: dict[str, dict] = {}
    for doc_id, meta in comps.documents.all():
        docs[doc_id] = {"doc_id": doc_id, "source": meta.get("source"), "title": meta.get("title"),
                        "visibility": meta.get("visibility", "public"), "chunks": 0, "committees": defaultdict(int)}
    for chunk in comps.store.iter_chunks():
        m = chunk.metadata
        d = docs.setdefault(m["doc_id"], {"doc_id": m["doc_id"], "source": m.get("source"), "title": m.get("title"),
                                          "visibility": m.get("visibility", "public"), "chunks": 0, "committees": defaultdict(int)})
        d["chunks"] += 1
        if m.get("committee"):
            d["committees"][m["committee"]] += 1
    out: dict[str, Any] = {"documents": [{**d, "committees": dict(d["committees"])} for d in sorted(docs.values(), key=lambda x: x["doc_id"])]}
    # The published retrieval snapshot (what replicas answer from) and whether it is current.
    published = comps.snapshots.load_current()
    out["snapshot"] = None if published is None else {
        "version": published.version, "chunks": len(published.ids), "current": published.fingerprint == comps.snapshots.fingerprint()}
    if as_json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    snap = out["snapshot"]
    published_text = "no snapshot published" if snap is None else (
        f"snapshot {snap['version']}: {snap['chunks']} chunks, {'current' if snap['current'] else 'behind the registry'}")
    table = Table(title=f"Index: {comps.store.count()} chunks; {published_text}")
    for col in ("doc_id", "title", "chunks", "committees", "visibility"):
        table.add_column(col)
    for d in out["documents"]:
        table.add_row(d["doc_id"], (d["title"] or "")[:60], str(d["chunks"]), str(len(d["committees"])), d["visibility"])
    console.print(table)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in Swedish or English.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer JSON.")] = False,
    committee: Annotated[list[str] | None, typer.Option(help="Only this committee (repeatable).")] = None,
    doc: Annotated[list[str] | None, typer.Option(help="Only this document id (repeatable).")] = None,
) -> None:
    """Answer one question with numbered citations."""
    from rag.types import Filters

    if not question.strip():
        err.print("[red]The question is empty.[/red]")
        raise typer.Exit(2)
    comps = _components()
    if comps.store.count() == 0:
        err.print("[red]The index is empty.[/red] Run `radslag ingest` first.")
        raise typer.Exit(1)
    answer = comps.answer_chain.invoke({"question": question, "filters": Filters(committee=committee, doc_id=doc)})
    if as_json:
        print(answer.model_dump_json(indent=2))
        return
    console.print(answer.answer)
    if answer.citations:
        console.print("\n[bold]Källor / Sources[/bold]")
        for c in answer.citations:
            page = f", s. {c.page}" if c.page else ""
            console.print(f"[{c.n}] {c.source} — {c.committee} — {c.section_path}{page}")


@app.command()
def overview(
    query: Annotated[str, typer.Argument(help="A measure number (4.3.2) or a free-text proposal.")],
    format: Annotated[str, typer.Option("--format", help="md, csv or xlsx.")] = "md",  # noqa: A002
    out: Annotated[Path | None, typer.Option(help="Write to this file (xlsx needs it; md/csv print otherwise).")] = None,
    lang: Annotated[str, typer.Option(help="sv or en: stance labels and headings.")] = "sv",
    doc: Annotated[str | None, typer.Option(help="The compilation's document id (default: the one with most committees).")] = None,
) -> None:
    """Remiss overview: every committee's stance on a measure or topic, with the deciding sentences."""
    from rag.overview_report import csv_text, markdown, to_report, xlsx_bytes

    if format not in ("md", "csv", "xlsx") or lang not in ("sv", "en"):
        raise typer.BadParameter("--format must be md, csv or xlsx and --lang sv or en")
    if not query.strip():
        err.print("[red]Give a measure number or a topic.[/red]")
        raise typer.Exit(2)
    if format == "xlsx" and out is None:
        err.print("[red]--format xlsx needs --out FILE.xlsx[/red]")
        raise typer.Exit(2)
    comps = _components()
    if comps.store.count() == 0:
        err.print("[red]The index is empty.[/red] Run `radslag ingest` first.")
        raise typer.Exit(2)
    report = to_report(comps.pipeline.overview(query, None, doc), lang)
    if not report.rows:
        err.print("[red]No compilation of committee replies is indexed.[/red]")
        raise typer.Exit(1)
    if format == "xlsx":
        assert out is not None
        out.write_bytes(xlsx_bytes(report, lang))
    else:
        text = markdown(report, lang) if format == "md" else csv_text(report, lang)
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
    if out is not None:
        err.print(f"Wrote {out} ({len(report.rows)} committees).")


@app.command()
def measures() -> None:
    """The measures the compilation's replies discuss, with how many committees name each."""
    comps = _components()
    for m in comps.pipeline.measures():
        console.print(f"{m.measure:8s} {len(m.committees):3d}  {m.text}", highlight=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (needs a Chroma server).")] = 1,
    ingest_if_empty: Annotated[bool, typer.Option(help="Ingest the sample corpus if the index is empty.")] = True,
) -> None:
    """Serve the API, the officials' workspace (/ui) and the citizen widget (/widget)."""
    import uvicorn

    from api.auth import SessionSecretMissing, require_shared_secret

    settings = Settings()
    try:
        # Before anything loads: replicas need one session key, or a session from one fails on the next.
        require_shared_secret(settings, workers)
    except SessionSecretMissing as exc:
        err.print(f"[red]Refusing to start:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if workers > 1 and not settings.chroma.url:
        err.print("[red]Several workers need a Chroma server[/red] (RADSLAG_CHROMA_URL): the embedded store is not multi-process safe.")
        raise typer.Exit(2)
    comps = _components(settings)
    if ingest_if_empty:
        from radslag import library

        with library.writing(settings):
            report = comps.ingestor.ingest([settings.corpus_dir])
        err.print(f"index: {comps.store.count()} chunks ({report.as_dict()['indexed']} documents newly indexed)")
    if workers > 1:
        # Read by each worker's Settings and OpenMP runtimes as they start.
        os.environ.update(settings.embedding.worker_environment(workers))
        uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)
    else:
        from api.app import create_app

        uvicorn.run(create_app(settings, comps), host=host, port=port)


@app.command(name="eval")
def eval_cmd(
    gold: Annotated[Path, typer.Argument(help="Gold questions (JSON Lines).")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out"),
    pipeline: Annotated[str, typer.Option(help="radslag, baseline, or both.")] = "both",
    check: Annotated[bool, typer.Option(help="Exit 1 if a metric is below its threshold.")] = False,
    split: Annotated[str | None, typer.Option(help="Question bank: only the train or validation items.")] = None,
) -> None:
    """Run gold questions through the pipeline and write answers, metrics, report and plots.

    A stance gold set (``eval/data/stance.jsonl``) scores the remiss overview instead."""
    from eval.runner import run_cli
    from eval.stance_eval import is_stance_gold, run_stance_cli

    if gold.is_file() and is_stance_gold(gold):
        sys.exit(run_stance_cli(Settings(), gold, out, split))

    sys.exit(run_cli(Settings(), gold, out, pipeline, check, split))


#: The inputs ``train`` and ``crossval`` share.
TrainBank = Annotated[Path, typer.Option(help="The question bank (its train split is read).")]
KindsFile = Annotated[
    Path, typer.Option(help="Extra questions: kind-labelled ones for the kind model, unanswerable ones for answerability.")
]
ParaphrasesFile = Annotated[
    Path, typer.Option(help="The train questions asked in other words (see eval/paraphrases.py); the wording models learn from them.")
]


def _training_components(files: dict[str, Path]):  # type: ignore[no-untyped-def]
    """The components a training run reads, once its input files and the index are there
    (exit 2 with the reason otherwise)."""
    for what, path in files.items():
        if not path.is_file():
            err.print(f"[red]No {what} at {path}[/red]")
            raise typer.Exit(2)
    comps = _components()
    if comps.store.count() == 0:
        err.print("[red]The index is empty.[/red] Run `radslag ingest` first.")
        raise typer.Exit(2)
    return comps


@app.command()
def train(
    bank: TrainBank = Path("eval/data/bank.jsonl"),
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write the artefact (default: RADSLAG_DECISIONS_PATH, else rag/models/decisions.joblib)."),
    ] = None,
    stance: Annotated[Path, typer.Option(help="The stance gold set (its train pairs are read).")] = Path("eval/data/stance.jsonl"),
    stance_only: Annotated[bool, typer.Option(help="Refit only the overview's models into the existing artefact.")] = False,
    kinds: KindsFile = Path("eval/data/kinds.jsonl"),
    verdicts: Annotated[
        Path, typer.Option(help="Extra yes/no questions for the verdict model (see eval/verdicts.py).")
    ] = Path("eval/data/verdicts.jsonl"),
    paraphrases: ParaphrasesFile = Path("eval/data/paraphrases.jsonl"),
) -> None:
    """Fit the answer engine's learned decisions on the bank's and stance set's train splits."""
    from eval.train import train as fit
    from eval.train_stance import fit_stance
    from rag.decisions import DEFAULT_PATH, load_decisions
    from rag.pipeline import RagPipeline

    comps = _training_components({
        "question bank": bank, "stance gold set": stance, "kinds file": kinds, "verdicts file": verdicts,
        "paraphrases file": paraphrases,
    })
    target = out or comps.settings.decisions_path or DEFAULT_PATH
    if stance_only:
        decisions = load_decisions(target)
        report = fit_stance(RagPipeline(comps.retriever, decisions=decisions), decisions, stance)
        decisions.save(target)
    else:
        try:
            report = fit(comps, bank, target, stance, kinds, verdict_questions=verdicts, paraphrases=paraphrases)
        except ValueError as exc:  # a malformed input file: its line and problem
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    console.print_json(json.dumps(report, default=str))


@app.command()
def crossval(
    bank: TrainBank = Path("eval/data/bank.jsonl"),
    out: Annotated[Path, typer.Option(help="Folder for answers.jsonl, metrics.json and each fold's artefact.")] = Path("out/crossval"),
    folds: Annotated[int, typer.Option(help="Number of folds (whole passage groups each).", min=2)] = 5,
    kinds: KindsFile = Path("eval/data/kinds.jsonl"),
    paraphrases: ParaphrasesFile = Path("eval/data/paraphrases.jsonl"),
    reuse: Annotated[
        Path | None,
        typer.Option(help="An earlier crossval folder whose fold artefacts answer instead of retraining (answer-time changes only)."),
    ] = None,
) -> None:
    """Out-of-fold figures on the train split: retrain without each fold and answer it (and
    the held items' paraphrases, scored in OUT/paraphrases).

    The way to compare two versions of the engine without reading the validation split:
    the train split's own figures are in sample for every learned decision."""
    from eval.crossval import cross_validate
    from eval.report import summary_table
    from eval.runner import PipelineRun

    comps = _training_components({"question bank": bank, "kinds file": kinds, "paraphrases file": paraphrases})
    try:
        metrics = cross_validate(comps, out, bank, folds, kinds, paraphrases, reuse)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(summary_table([PipelineRun("radslag (out of fold)", out, [], metrics)]))
    console.print(f"Wrote {out}/answers.jsonl and metrics.json.")


@app.command()
def compare(
    before: Annotated[Path, typer.Argument(help="The first run: its metrics.json, or the folder holding it.")],
    after: Annotated[Path, typer.Argument(help="The second run, on the same questions.")],
    items: Annotated[bool, typer.Option(help="Also list the items that got better or worse (not on validation).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    by: Annotated[
        str | None, typer.Option("--by", help="Also compare within each group of questions: lang or type.")
    ] = None,
) -> None:
    """Each metric's change from one run to another, paired by question, with a 95 % bootstrap
    interval: whether the change is more than these questions' spread explains."""
    from eval.compare import MetricChange, compare_by, load_items
    from eval.compare import as_json as changes_json
    from eval.compare import compare as compare_runs
    from eval.report import COLUMNS

    try:
        a, b = load_items(before), load_items(after)
        changes = compare_runs(a, b)
        groups = compare_by(a, b, by) if by is not None else {}
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if as_json:
        rows = changes_json(changes, items)
        if by is not None:
            console.print_json(json.dumps({"all": rows, "by": by, "groups": {g: changes_json(c, items) for g, c in groups.items()}}))
        else:
            console.print_json(json.dumps(rows))
        return

    def value(v: float | None, sign: str = "") -> str:
        return "–" if v is None else f"{v:{sign}.3f}"

    def show(title: str, rows: list[MetricChange]) -> None:
        table = Table("metric", "n", "before", "after", "change", "95 % interval", "up/down", box=box.SIMPLE_HEAD, title=title)
        table.columns[5].no_wrap = True
        for c in rows:
            change = value(c.delta, "+")
            table.add_row(COLUMNS[c.metric], str(c.n), value(c.a), value(c.b), f"[bold]{change} *[/bold]" if c.clear else change,
                          f"{value(c.low, '+')} … {value(c.high, '+')}", f"{len(c.better)}/{len(c.worse)}")
        console.print(table)

    console.print(f"{before} → {after}")
    show("all questions", changes)
    for group, group_changes in groups.items():
        show(f"{by} = {group}", group_changes)
    console.print("*: the interval excludes 0 (the change is more than these questions' spread explains).")
    if items:
        for c in changes:
            if c.better or c.worse:
                console.print(f"{c.metric}: better {', '.join(c.better) or '–'}; worse {', '.join(c.worse) or '–'}")


@app.command()
def bench(
    quick: Annotated[bool, typer.Option(help="Smaller scale curve (1x, 10x).")] = False,
    out: Annotated[Path, typer.Option(help="Folder for the plot and JSON.")] = Path("out/bench"),
    load: Annotated[int, typer.Option("--load", help="Instead: N concurrent clients against the app on loopback.")] = 0,
    duration: Annotated[float, typer.Option(help="Seconds of load (with --load).", min=1)] = 60,
    soak: Annotated[
        bool, typer.Option(help="With --load: the server as its own process; report its RSS at start, end and max.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --load or --scale: print the figures as JSON.")] = False,
    scale: Annotated[
        int | None,
        typer.Option("--scale", help="Instead: serve copies of the corpus up to this factor (1x, 10x, … N) and measure each.", min=1),
    ] = None,
    replicas: Annotated[
        int,
        typer.Option(
            help="With --load: R `radslag serve` replicas on one Chroma server and one Redis (both started in a "
            "temp dir); adds upload-to-visible seconds and the shared rate-limit check.",
            min=1,
        ),
    ] = 1,
) -> None:
    """Performance figures: ingest throughput, query latency per stage, memory, scale curve.

    With --scale N: for 1x, 10x, … N copies of the corpus, the Chroma build, the snapshot build,
    a real server's start-to-ready time and RSS, and warm p50/p95 per question kind over HTTP.

    With --load: status counts, p50/p95 latency, 5xx/429/transport-error counts and memory under
    N clients mixing /api/ask and /v1/chat/completions (rate limit off). Exit code 1 on any 5xx
    or transport error. With --replicas R (R > 1), also exit code 1 when an upload through one
    replica is not answerable through another within 10 s, or the replicas let more than their
    shared limit through.
    """
    if scale:
        from eval.scale import run_scale_cli

        run_scale_cli(Settings(), scale, out, as_json)
        return
    if replicas > 1 and (not load or soak):
        raise typer.BadParameter("--replicas needs --load N (and not --soak)")
    if load:
        from eval.load import run_load_cli, run_soak_cli

        if replicas > 1:
            from eval.replicas import run_replicas_cli

            bench_result = run_replicas_cli(Settings().corpus_dir, replicas, clients=load, seconds=duration, as_json=as_json)
            if bench_result.failed:
                raise typer.Exit(1)
            return
        if soak:
            result = run_soak_cli(clients=load, seconds=duration, as_json=as_json)
        else:
            result = run_load_cli(Settings(), clients=load, seconds=duration, as_json=as_json)
        if result.server_errors or result.transport_errors:
            raise typer.Exit(1)
        return
    from eval.bench import run_bench

    run_bench(Settings(), out, quick=quick)


if __name__ == "__main__":
    app()
