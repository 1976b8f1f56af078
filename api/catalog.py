"""Read-only views of what is indexed (documents, committees) for the API and the UI."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from radslag.components import Components


def visible(meta: dict[str, Any], visibility: list[str] | None) -> bool:
    """Whether a chunk or document record may be shown to a caller allowed ``visibility`` (None: all)."""
    return visibility is None or str(meta.get("visibility", "public")) in visibility


def _committee_index(components: Components, visibility: list[str] | None = None) -> dict[str, dict[str, int]]:
    """committee → {doc_id: chunk count}, from the retriever's current index snapshot (its
    columns: no walk over every chunk's metadata)."""
    snap = components.retriever.snapshot()
    cols = snap.cols
    keep = cols.codes["committee"] >= 0
    if visibility is not None:
        keep &= cols.isin("visibility", visibility)
    pairs, counts = np.unique(np.stack([cols.codes["committee"][keep], cols.codes["doc_id"][keep]]), axis=1, return_counts=True)
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for (committee, doc), n in zip(pairs.T, counts, strict=True):
        out[cols.labels["committee"][committee]][cols.labels["doc_id"][doc] if doc >= 0 else ""] = int(n)
    return out


def committees(components: Components, visibility: list[str] | None = None) -> list[dict[str, Any]]:
    index = _committee_index(components, visibility)
    return [
        {"name": name, "doc_ids": sorted(docs), "chunks": sum(docs.values())}
        for name, docs in sorted(index.items(), key=lambda kv: kv[0].casefold())
    ]


def _info(doc_id: str, meta: dict[str, Any], by_doc: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "doc_id": doc_id,
        "source": str(meta.get("source", "")),
        "title": str(meta.get("title", "")),
        "committee": str(meta.get("committee", "")),
        "pages": meta.get("pages"),
        "n_chunks": meta.get("n_chunks"),
        "visibility": str(meta.get("visibility", "public")),
        "committees": by_doc.get(doc_id, []),
    }


def _committees_by_doc(components: Components, visibility: list[str] | None = None) -> dict[str, list[str]]:
    by_doc: dict[str, list[str]] = defaultdict(list)
    for name, docs in sorted(_committee_index(components, visibility).items(), key=lambda kv: kv[0].casefold()):
        for doc_id in docs:
            by_doc[doc_id].append(name)
    return by_doc


def documents(components: Components, visibility: list[str] | None = None) -> list[dict[str, Any]]:
    by_doc = _committees_by_doc(components, visibility)
    records = sorted((r for r in components.documents.all() if visible(r[1], visibility)), key=lambda r: r[0])
    return [_info(doc_id, meta, by_doc) for doc_id, meta in records]


def document(components: Components, doc_id: str, visibility: list[str] | None = None) -> dict[str, Any] | None:
    """One document with its text; None when it does not exist or ``visibility`` does not allow it."""
    meta = components.documents.get(doc_id)
    if meta is None or not visible(meta, visibility):
        return None
    info = _info(doc_id, meta, _committees_by_doc(components, visibility))
    info["text"] = components.documents.text(doc_id) or ""
    return info


def chunk_at(components: Components, doc_id: str, start: int, end: int) -> dict[str, Any]:
    """Metadata of the indexed chunk of ``doc_id`` that best overlaps text[start:end] ({} if none)."""
    best: dict[str, Any] = {}
    best_overlap = 0
    snap = components.retriever.snapshot()
    for i in np.flatnonzero(snap.cols.isin("doc_id", [doc_id])):
        meta = snap.metas[int(i)]
        cs, ce = meta.get("char_start"), meta.get("char_end")
        if isinstance(cs, int) and isinstance(ce, int):
            overlap = min(ce, end) - max(cs, start)
            if overlap > best_overlap:
                best, best_overlap = meta, overlap
    return best


def passage_context(text: str, start: int, end: int, radius: int = 600) -> tuple[str, str, str]:
    """(before, passage, after) around text[start:end], cut at whitespace near ``radius``."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    lo = max(0, start - radius)
    hi = min(len(text), end + radius)
    if lo > 0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    before = ("…" if lo > 0 else "") + text[lo:start]
    after = text[end:hi] + ("…" if hi < len(text) else "")
    return before, text[start:end], after
