"""Officials' feedback on answers, for the team that maintains the question bank (admins only)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter, Depends, Query

from api.deps import ComponentsDep, require_admin
from api.responses import ADMIN
from api.schemas import FeedbackItem, FeedbackList

router = APIRouter(prefix="/api", tags=["admin"], dependencies=[Depends(require_admin)], responses=ADMIN)


@router.get("/feedback", response_model=FeedbackList, summary="Verdicts officials gave on answers, newest first")
def list_feedback(
    components: ComponentsDep,
    verdict: Literal["helpful", "wrong"] | None = Query(None, description="Only this verdict."),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> FeedbackList:
    store = components.feedback
    items = [FeedbackItem(**asdict(r)) for r in store.list(verdict, limit, offset)]
    return FeedbackList(total=store.count(verdict), items=items)
