"""API for follow-up tasks: list the tasks you see, set one on a lead, mark one done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from pydantic import ConfigDict

from accord.core.api_support import MAX_ID, DbId, ErrorOut, UtcDatetime, offset_page
from accord.core.errors import NotFound
from accord.core.idempotency import idempotent_response
from accord.core.models import Channel
from accord.people.access import signed_in_user
from accord.people.models import User
from accord.sla.follow_ups import follow_up_create, follow_up_done, follow_ups_for
from accord.sla.models import FollowUp

router = Router(tags=["tasks"])


class TaskOut(Schema):
    id: int
    lead_id: int
    lead: str
    title: str
    note: str
    due_at: datetime
    assignee_id: int
    assignee: str
    overdue: bool
    done_at: datetime | None
    done_by: str | None


class TaskListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[TaskOut]


class TaskQuery(Schema):
    include_done: bool = Field(False, description="Also list tasks already done.")
    lead_id: DbId | None = Field(None, description="Only the tasks on this lead.")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000_000)


class TaskIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    lead_id: DbId
    title: str = Field(min_length=1, max_length=200)
    due_at: UtcDatetime = Field(description="With its time zone, e.g. 2026-03-03T10:00:00+01:00.")
    note: str = Field("", max_length=5000)
    assignee_id: DbId | None = Field(None, description="Someone you manage; default: you.")


def task_out(task: FollowUp) -> dict[str, Any]:
    return {
        "id": task.pk,
        "lead_id": task.lead_id,
        "lead": str(task.lead),
        "title": task.title,
        "note": task.note,
        "due_at": task.due_at,
        "assignee_id": task.assignee_id,
        "assignee": str(task.assignee),
        "overdue": task.is_overdue(timezone.now()),
        "done_at": task.done_at,
        "done_by": str(task.done_by) if task.done_by else None,
    }


@router.get("/tasks", response=TaskListOut, summary="Follow-up tasks you see, soonest due first")
def list_tasks(request: HttpRequest, query: Query[TaskQuery]) -> dict[str, Any]:
    tasks = follow_ups_for(
        user=signed_in_user(request), include_done=query.include_done, lead_id=query.lead_id
    )
    return offset_page(tasks, limit=query.limit, offset=query.offset, row=task_out)


@router.post(
    "/tasks",
    response={201: TaskOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Set a follow-up task on a lead",
)
def create_task(request: HttpRequest, payload: TaskIn) -> HttpResponse:
    user = signed_in_user(request)
    body = payload.model_dump(mode="json")

    def run() -> tuple[int, Any]:
        assignee = None
        if payload.assignee_id is not None:
            assignee = User.objects.filter(pk=payload.assignee_id).first()
            if assignee is None:
                raise NotFound(
                    f"User {payload.assignee_id} was not found.", detail={"assignee_id": "unknown user"}
                )
        task = follow_up_create(
            lead_id=payload.lead_id,
            user=user,
            title=payload.title,
            due_at=payload.due_at,
            note=payload.note,
            assignee=assignee,
            channel=Channel.API,
        )
        return 201, TaskOut.model_validate(task_out(task)).model_dump(mode="json")

    return idempotent_response(request, operation="task_create", body=body, call=run)


@router.post(
    "/tasks/{task_id}/done",
    response={200: TaskOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Mark a follow-up task done",
)
def done_task(request: HttpRequest, task_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    task = follow_up_done(task_id=task_id, user=signed_in_user(request), channel=Channel.API)
    return task_out(task)
