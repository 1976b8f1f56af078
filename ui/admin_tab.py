"""The workspace's admin tab: upload documents (with visibility, progress and the ingest report),
list them, change visibility, delete. Shown to admins only, and every handler checks the role
again; it calls the same services as the admin API (radslag/library.py), not the API over HTTP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from api import catalog
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.pipeline import FileResult
from radslag import library
from radslag.components import Components
from radslag.settings import Settings
from ui.identity import Identity
from ui.texts import t as label

# Gradio's default hint grey (#bbbbc2) and its red stop button fail WCAG AA contrast.
CSS = """
#rs-saved .info-text, #rs-sources .info-text, #rs-admin-tab .info-text, #rs-admin-tab .or { color: #4b5563; }
#rs-admin-delete, #rs-delete-conversation { background: #b91c1c; border-color: #b91c1c; color: #ffffff; }
"""
REPORT_COLS = ("col_file", "col_status", "col_chunks", "col_committees", "col_note")
DOC_COLS = ("col_doc", "col_title", "col_file", "col_visibility", "col_chunks")


def _vis_choices(lang: str) -> list[tuple[str, str]]:
    return [(label(lang, "internal"), "internal"), (label(lang, "public"), "public")]


def _headers(lang: str, cols: tuple[str, ...]) -> list[str]:
    return [label(lang, c) for c in cols]


def _rows(table: Any) -> list[list[Any]]:
    """A table's rows as Gradio hands them back (a DataFrame, whose column names would win
    over new headers)."""
    return table.to_numpy().tolist() if hasattr(table, "to_numpy") else []


class AdminHandlers:
    def __init__(self, components: Components, settings: Settings, identity: Identity) -> None:
        self.components, self.settings, self.identity = components, settings, identity

    def _require_admin(self, request: gr.Request | None, lang: str) -> None:
        if not self.identity.is_admin(request):
            raise gr.Error(label(lang, "admin_only"))

    def show(self, request: gr.Request) -> Any:
        return gr.update(visible=self.identity.is_admin(request))

    def listing(self, lang: str, request: gr.Request) -> tuple[Any, Any]:
        if not self.identity.is_admin(request):
            return gr.update(value=[]), gr.update(choices=[])
        docs = catalog.documents(self.components)
        rows = [[d["doc_id"], d["title"], d["source"], d["visibility"], d["n_chunks"] or 0] for d in docs]
        choices = [(f"{d['title'] or d['source']} ({d['doc_id']})", d["doc_id"]) for d in docs]
        return gr.update(value=rows, headers=_headers(lang, DOC_COLS)), gr.update(choices=choices, value=None)

    @staticmethod
    def relabel(lang: str, report: Any, docs: Any) -> tuple[Any, ...]:
        """Every label in the workspace's language; both tables keep their rows (and the
        chosen document stays chosen)."""
        vis = _vis_choices(lang)
        return (
            gr.update(label=label(lang, "admin_tab")), f"### {label(lang, 'admin_upload')}",
            gr.update(label=label(lang, "admin_files")), gr.update(choices=vis, label=label(lang, "admin_visibility")),
            gr.update(value=label(lang, "admin_send")),
            gr.update(value=_rows(report), headers=_headers(lang, REPORT_COLS), label=label(lang, "admin_report")),
            gr.update(value=_rows(docs), headers=_headers(lang, DOC_COLS), label=label(lang, "admin_docs")),
            gr.update(label=label(lang, "admin_doc")), gr.update(choices=vis, label=label(lang, "admin_visibility")),
            gr.update(value=label(lang, "admin_set_vis")), gr.update(value=label(lang, "admin_delete")),
        )

    def upload(
        self, files: list[str] | None, visibility: str, lang: str, request: gr.Request, progress: gr.Progress = gr.Progress()
    ) -> tuple[Any, ...]:
        self._require_admin(request, lang)
        if not files:
            raise gr.Error(label(lang, "admin_no_files"))
        results: list[FileResult] = []
        for i, path in enumerate(files):
            name = Path(path).name
            progress((i, len(files)), desc=name)

            def step(done: int, total: int, desc: str = f"{name} ({i + 1}/{len(files)})") -> None:
                progress((done, total or 1), desc=desc, unit="chunks")

            try:
                with open(path, "rb") as source:
                    results.append(library.add_document(self.settings, self.components, name, source, visibility, step))
            except library.DocumentError as exc:
                results.append(FileResult(library.safe_name(name), "", "skipped", reason=exc.message))
        rows = [[r.source, r.status, r.chunks, ", ".join(r.committees), r.reason or ""] for r in results]
        summary = label(lang, "admin_summary").format(
            indexed=sum(r.status == "indexed" for r in results),
            unchanged=sum(r.status == "unchanged" for r in results),
            skipped=sum(r.status == "skipped" for r in results),
            chunks=self.components.store.count(),
        )
        docs, choices = self.listing(lang, request)
        return summary, gr.update(value=rows, headers=_headers(lang, REPORT_COLS), visible=True), docs, choices, None

    def set_visibility(self, doc_id: str | None, visibility: str, lang: str, request: gr.Request) -> tuple[Any, ...]:
        self._require_admin(request, lang)
        try:
            library.set_visibility(self.components, doc_id or "", visibility)
        except library.DocumentError as exc:
            raise gr.Error(exc.message) from exc
        docs, _ = self.listing(lang, request)
        vis = dict((v, k) for k, v in _vis_choices(lang))[visibility]
        return label(lang, "admin_vis_done").format(doc=doc_id, vis=vis), docs

    def delete(self, doc_id: str | None, lang: str, request: gr.Request) -> tuple[Any, ...]:
        self._require_admin(request, lang)
        try:
            n = library.delete_document(self.settings, self.components, doc_id or "")
        except library.DocumentError as exc:
            raise gr.Error(exc.message) from exc
        docs, choices = self.listing(lang, request)
        return label(lang, "admin_deleted").format(doc=doc_id, n=n), docs, choices


def build_admin_tab(components: Components, settings: Settings, demo: gr.Blocks, lang: gr.State, identity: Identity | None = None) -> gr.Tab:
    """A tab, hidden until the page's user turns out to be an admin."""
    h = AdminHandlers(components, settings, identity or Identity(settings))
    lang0 = lang.value
    with gr.Tab(label(lang0, "admin_tab"), visible=False, elem_id="rs-admin-tab") as tab, gr.Row():
        with gr.Column():
            heading = gr.Markdown(f"### {label(lang0, 'admin_upload')}")
            files = gr.File(
                label=label(lang0, "admin_files"), file_count="multiple", file_types=list(SUPPORTED_SUFFIXES),
                type="filepath", elem_id="rs-admin-files",
            )
            visibility = gr.Radio(
                _vis_choices(lang0), value="internal", label=label(lang0, "admin_visibility"), elem_id="rs-admin-visibility"
            )
            send = gr.Button(label(lang0, "admin_send"), variant="primary", elem_id="rs-admin-upload")
            summary = gr.Markdown("", elem_id="rs-admin-summary")
            report = gr.Dataframe(
                headers=_headers(lang0, REPORT_COLS), label=label(lang0, "admin_report"), interactive=False,
                visible=False, wrap=True, elem_id="rs-admin-report",
            )
        with gr.Column():
            docs = gr.Dataframe(
                headers=_headers(lang0, DOC_COLS), label=label(lang0, "admin_docs"), interactive=False,
                wrap=True, max_height=360, elem_id="rs-admin-docs",
            )
            doc = gr.Dropdown([], label=label(lang0, "admin_doc"), elem_id="rs-admin-doc")
            new_vis = gr.Radio(
                _vis_choices(lang0), value="internal", label=label(lang0, "admin_visibility"), elem_id="rs-admin-new-visibility"
            )
            with gr.Row():
                set_vis = gr.Button(label(lang0, "admin_set_vis"), elem_id="rs-admin-set-visibility")
                delete = gr.Button(label(lang0, "admin_delete"), variant="stop", elem_id="rs-admin-delete")
            done = gr.Markdown("", elem_id="rs-admin-status")
    send.click(h.upload, [files, visibility, lang], [summary, report, docs, doc, files])
    set_vis.click(h.set_visibility, [doc, new_vis, lang], [done, docs])
    delete.click(h.delete, [doc, lang], [done, docs, doc])
    demo.load(h.show, None, tab)
    demo.load(h.listing, [lang], [docs, doc])
    lang.change(h.relabel, [lang, report, docs], [tab, heading, files, visibility, send, report, docs, doc, new_vis, set_vis, delete])
    return tab
