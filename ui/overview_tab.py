"""The workspace's remiss overview tab: a measure or topic in, every committee's stance out.

The table is plain, escaped HTML (document text is text); a committee chosen below it opens
its deciding passage in context, as sources do in the chat tab.
"""

from __future__ import annotations

import hashlib
import html
import logging
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from radslag.components import Components
from rag.overview import STANCES
from rag.overview_report import STANCE_LABELS, OverviewReport, markdown, to_report, xlsx_bytes
from ui.render import passage_html

log = logging.getLogger(__name__)

TEXTS = {
    "sv": {
        "tab": "Remissöversikt", "query": "Åtgärd eller förslag", "placeholder": "t.ex. 4.3.2 eller facilitatorer samordnas centralt",
        "measures": "Åtgärder i sammanställningen", "run": "Visa översikt", "stances": "Visa ställningstaganden",
        "group": "Grupp", "all": "Alla", "open": "Öppna en nämnds avgörande stycke", "export": "Exportera (Markdown)",
        "xlsx": "Excel-fil", "caption": "Nämndernas ställningstaganden till", "empty": "Skriv ett åtgärdsnummer eller ett förslag.",
        "error": "Översikten kunde inte tas fram. Försök igen.",
        "head": ("Nämnd", "Grupp", "Ställningstagande", "Säkerhet", "Avgörande meningar"),
    },
    "en": {
        "tab": "Remiss overview", "query": "Measure or proposal", "placeholder": "e.g. 4.3.2 or facilitatorer samordnas centralt",
        "measures": "Measures in the compilation", "run": "Show overview", "stances": "Show stances",
        "group": "Group", "all": "All", "open": "Open a committee's deciding passage", "export": "Export (Markdown)",
        "xlsx": "Excel file", "caption": "The committees' stances on", "empty": "Type a measure number or a proposal.",
        "error": "The overview could not be built. Try again.",
        "head": ("Committee", "Group", "Stance", "Confidence", "Deciding sentences"),
    },
}  # fmt: skip

CSS = """
.rs-ov-table { border-collapse: collapse; width: 100%; font-size: .95rem; }
.rs-ov-table caption { text-align: left; font-weight: 600; padding: .25rem 0 .5rem; }
.rs-ov-table th, .rs-ov-table td { border: 1px solid var(--border-color-primary); padding: .35rem .5rem; vertical-align: top; text-align: left; }
.rs-ov-table td.rs-stance { white-space: nowrap; font-weight: 600; }
/* The theme's primary orange under white text fails WCAG AA contrast (axe). */
input.subdued { color: #4b5563 !important; }  /* an empty dropdown's hint text, same reason */
button.primary, button.primary:hover { background: #1d4ed8 !important; color: #ffffff !important; border-color: #1d4ed8 !important; }
"""


def is_all(group: str) -> bool:
    """Whether the group filter is "all groups", in either language (the language can change
    after the filter was set)."""
    return group in ("", *(tx["all"] for tx in TEXTS.values()))


def stance_choices(lang: str) -> list[tuple[str, str]]:
    """The stance filter's choices: each stance's name in ``lang``, its code as the value."""
    return [(STANCE_LABELS[lang][s], s) for s in STANCES]


def open_choices(report: OverviewReport | None, lang: str) -> list[tuple[str, str]]:
    """The committees whose deciding passage can be opened, labelled with their stance."""
    return [(f"{r.committee} — {STANCE_LABELS[lang][r.stance]}", r.committee) for r in report.rows if r.citation] if report else []


def group_choices(report: OverviewReport | None, lang: str) -> list[str]:
    """"All" and the report's groups."""
    return [TEXTS[lang]["all"], *sorted({r.group for r in report.rows})] if report else [TEXTS[lang]["all"]]


def table_html(report: OverviewReport | None, stances: list[str], group: str, lang: str) -> str:
    """The overview as an accessible table; every cell's text escaped."""
    tx = TEXTS[lang]
    if report is None:
        return f"<p>{html.escape(tx['empty'])}</p>"
    rows = [r for r in report.rows if (not stances or r.stance in stances) and (is_all(group) or r.group == group)]
    subject = report.measure or report.query
    caption = f"{tx['caption']} {subject}" + (f": {report.measure_text}" if report.measure_text else "")
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in tx["head"])
    body = "".join(
        "<tr>"
        f"<th scope='row'>{html.escape(r.committee)}</th><td>{html.escape(r.group)}</td>"
        f"<td class='rs-stance' data-stance='{html.escape(r.stance)}'>{html.escape(STANCE_LABELS[lang][r.stance])}</td>"
        f"<td>{r.confidence:.2f}</td><td>{html.escape(' '.join(r.sentences))}</td>"
        "</tr>"
        for r in rows
    )
    return f"<table class='rs-ov-table'><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class OverviewHandlers:
    def __init__(self, components: Components) -> None:
        self.components = components
        # One folder for the XLSX downloads, removed with the process; each file is named by its
        # content so concurrent officials never overwrite one another's.
        self._downloads = tempfile.TemporaryDirectory(prefix="radslag-overview-")

    def measure_choices(self) -> Any:
        measures = self.components.pipeline.measures()
        return gr.update(choices=[(f"{m.measure} {m.text}"[:120], m.measure) for m in measures])

    def run(self, query: str, stances: list[str], group: str, lang: str) -> tuple[Any, ...]:
        query = (query or "").strip()
        if not query:
            return None, table_html(None, stances, group, lang), gr.update(choices=[], value=None), "", "", gr.update(value=None), gr.update()
        try:
            report = to_report(self.components.pipeline.overview(query), lang)
        except Exception:
            log.exception("overview failed in the workspace")
            return None, f"<p role='alert'>{html.escape(TEXTS[lang]['error'])}</p>", gr.update(choices=[], value=None), "", "", gr.update(value=None), gr.update()
        opened = open_choices(report, lang)
        groups = group_choices(report, lang)
        return (
            report.model_dump(), table_html(report, stances, group, lang), gr.update(choices=opened, value=None), "",
            markdown(report, lang), gr.update(value=self.xlsx_file(report, lang)), gr.update(choices=groups),
        )

    def xlsx_file(self, report: OverviewReport, lang: str) -> str:
        """The overview as an Excel file in ``lang``, written once per content."""
        data = xlsx_bytes(report, lang)
        folder = Path(self._downloads.name) / hashlib.sha1(data).hexdigest()[:16]
        folder.mkdir(exist_ok=True)
        path = folder / f"remiss-{report.measure or 'overview'}.xlsx"
        path.write_bytes(data)
        return str(path)

    @staticmethod
    def refilter(report: dict[str, Any] | None, stances: list[str], group: str, lang: str) -> str:
        return table_html(OverviewReport(**report) if report else None, stances, group, lang)

    def relabel(self, lang: str, report: dict[str, Any] | None, stances: list[str], group: str, opened: str | None) -> tuple[Any, ...]:
        """Every label, the table, the rows to open, the open passage and the exports in the
        workspace's language; the overview itself and what the filters and the open row are
        set to stay."""
        tx = TEXTS[lang]
        rep = OverviewReport(**report) if report else None
        group = tx["all"] if is_all(group) else group
        groups = group_choices(rep, lang)
        rows = open_choices(rep, lang)
        export = markdown(rep, lang) if rep else ""
        xlsx = gr.update(value=self.xlsx_file(rep, lang), label=tx["xlsx"]) if rep else gr.update(label=tx["xlsx"])
        return (
            gr.update(label=tx["tab"]), gr.update(label=tx["query"], placeholder=tx["placeholder"]),
            gr.update(label=tx["measures"]), gr.update(value=tx["run"]),
            gr.update(choices=stance_choices(lang), label=tx["stances"]),
            gr.update(choices=groups, value=group, label=tx["group"]), table_html(rep, stances, group, lang),
            gr.update(choices=rows, value=opened, label=tx["open"]), self.open_row(opened, report, lang),
            gr.update(value=export, label=tx["export"]), xlsx,
        )

    def open_row(self, committee: str | None, report: dict[str, Any] | None, lang: str) -> str:
        if not committee or not report:
            return ""
        row = next((r for r in report["rows"] if r["committee"] == committee and r.get("citation")), None)
        if row is None:
            return ""
        cite = row["citation"]
        return passage_html(cite, self.components.documents.text(cite["doc_id"]), lang)


def build_overview_tab(components: Components, lang: gr.State) -> gr.Tab:
    """The tab's components and events (inside the workspace's Blocks)."""
    h = OverviewHandlers(components)
    tx = TEXTS["sv"]
    with gr.Tab(tx["tab"], elem_id="rs-ov-tab") as tab:
        report = gr.State(None)
        with gr.Row():
            query = gr.Textbox(label=tx["query"], placeholder=tx["placeholder"], elem_id="rs-ov-query", scale=3)
            measures = gr.Dropdown([], label=tx["measures"], elem_id="rs-ov-measures", scale=2)
        with gr.Row():
            run = gr.Button(tx["run"], variant="primary", elem_id="rs-ov-run", scale=0)
            stances = gr.CheckboxGroup(
                stance_choices("sv"), label=tx["stances"], elem_id="rs-ov-stances", scale=3
            )
            group = gr.Dropdown([tx["all"]], value=tx["all"], label=tx["group"], elem_id="rs-ov-group", scale=1)
        table = gr.HTML(table_html(None, [], "", "sv"), elem_id="rs-ov-table")
        with gr.Row():
            with gr.Column(scale=2):
                opened = gr.Radio([], label=tx["open"], elem_id="rs-ov-open")
                passage = gr.HTML(elem_id="rs-ov-passage")
            with gr.Column(scale=2):
                export = gr.Textbox("", label=tx["export"], lines=8, max_lines=20, interactive=False, elem_id="rs-ov-export")
                xlsx = gr.DownloadButton(tx["xlsx"], value=None, elem_id="rs-ov-xlsx")
        outputs = [report, table, opened, passage, export, xlsx, group]
        run.click(h.run, [query, stances, group, lang], outputs)
        query.submit(h.run, [query, stances, group, lang], outputs)
        measures.change(lambda m: m or gr.update(), measures, query).then(h.run, [query, stances, group, lang], outputs)
        stances.change(h.refilter, [report, stances, group, lang], table)
        group.change(h.refilter, [report, stances, group, lang], table)
        opened.change(h.open_row, [opened, report, lang], passage)
        tab.select(h.measure_choices, None, measures)
        lang.change(
            h.relabel, [lang, report, stances, group, opened],
            [tab, query, measures, run, stances, group, table, opened, passage, export, xlsx],
        )
    return tab
