"""Writes on records across apps: saved views, bulk actions on leads, account merge and parent.

Every bulk action takes the selected ids through the access layer (``leads_actionable_by``) and calls
the one service that owns the step (routing's ``lead_reassign``, leads' ``lead_stage_set``, campaigns'
``touchpoint_record``, privacy's ``lead_delete``) per lead, each in its own savepoint: a lead the
person may not act on is skipped and counted, never written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone

from accord.campaigns.models import Touchpoint, TouchpointKind
from accord.campaigns.touchpoint_services import touchpoint_record
from accord.core.errors import AccessDenied, ApplicationError, NotFound
from accord.core.events import event_record
from accord.core.listing import page_query
from accord.core.models import Channel, SavedView
from accord.deals.listing import DEAL_LIST
from accord.leads.listing import ACCOUNT_LIST, LEAD_LIST
from accord.leads.models import Account, Lead, Stage
from accord.leads.services import lead_stage_set
from accord.people import access
from accord.people.models import Role, User
from accord.privacy.services import lead_delete
from accord.routing.services import lead_reassign

LISTS = {"leads": LEAD_LIST, "accounts": ACCOUNT_LIST, "deals": DEAL_LIST}
BULK_LIMIT = 500


# --- saved views --------------------------------------------------------------------------------------


def _clean_query(list_name: str, query: str) -> str:
    """The list's query string as the definition reads it back (page and view numbers dropped)."""
    params = QueryDict(query, mutable=True)
    for name in ("page", "view"):
        params.pop(name, None)
    cols, sort, conditions = page_query(params)
    parsed = LISTS[list_name].parse(cols=cols, sort=sort, conditions=conditions)
    if parsed.errors:
        raise ApplicationError(" ".join(parsed.errors), detail={"query": "not understood"})
    # Simple filters of the list's own bar (stage, owner, source, search) are kept as they are.
    extra = {k: params.get(k, "") for k in ("q", "stage", "owner", "source", "import_job") if params.get(k)}
    return parsed.querystring(LISTS[list_name], **extra)


@transaction.atomic
def saved_view_save(*, owner: User, list_name: str, name: str, query: str, shared: bool) -> SavedView:
    """Save a list's filters, sort and columns under a name (saving the same name again replaces it)."""
    if list_name not in LISTS:
        raise ApplicationError(
            f"There is no list called {list_name!r}.", detail={"list_name": f"use one of {', '.join(LISTS)}"}
        )
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Give the view a name.", detail={"name": "is required"})
    if len(name) > 120:
        raise ApplicationError("A view's name has at most 120 characters.", detail={"name": "too long"})
    clean = _clean_query(list_name, query or "")
    view, _ = SavedView.objects.update_or_create(
        owner=owner, list_name=list_name, name=name, defaults={"query": clean, "shared": bool(shared)}
    )
    return view


@transaction.atomic
def saved_view_delete(*, view_id: int, actor: User) -> None:
    """Delete a saved view: its owner, or an admin for a shared one."""
    view = SavedView.objects.select_for_update().filter(pk=view_id).first()
    if view is None or not (view.owner_id == actor.pk or view.shared):
        raise NotFound("No such saved view.", detail={"id": view_id})
    if view.owner_id != actor.pk and not actor.has_role(Role.ADMIN):
        raise AccessDenied("Only the person who saved this view, or an admin, may delete it.")
    view.delete()


# --- bulk actions on leads ----------------------------------------------------------------------------


@dataclass
class BulkResult:
    """What a bulk action did: how many leads changed, and how many were skipped and why."""

    done: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def words(self, verb: str) -> str:
        text = f"{verb} {self.done} lead{'s' if self.done != 1 else ''}."
        for reason, n in self.skipped.items():
            text += f" {n} skipped: {reason}."
        return text


def _ids(lead_ids: list[int]) -> list[int]:
    ids = sorted({int(i) for i in lead_ids})
    if not ids:
        raise ApplicationError("Select at least one lead.", detail={"ids": "none selected"})
    if len(ids) > BULK_LIMIT:
        raise ApplicationError(
            f"Select at most {BULK_LIMIT} leads at a time.", detail={"ids": f"more than {BULK_LIMIT}"}
        )
    return ids


def _split(actor: User, ids: list[int], action: access.Action, refusal: str) -> tuple[list[Lead], BulkResult]:
    """The selected leads the actor may act on, and a result counting the others as skipped."""
    leads = list(access.leads_actionable_by(actor, action).filter(pk__in=ids).order_by("pk"))
    result = BulkResult()
    missing = len(ids) - len(leads)
    if missing:
        result.skipped[refusal] += missing
    return leads, result


def leads_bulk_assign(*, actor: User, lead_ids: list[int], to_username: str, reason: str) -> BulkResult:
    """Reassign the selected leads to one rep, each through routing's ``lead_reassign``."""
    ids = _ids(lead_ids)
    if not actor.has_role(*access.REASSIGN_ROLES):
        raise AccessDenied(access.LEAD_REFUSALS["reassign"])
    to_user = User.objects.filter(username=to_username, is_active=True).first() if to_username else None
    if to_user is None:
        raise ApplicationError("Choose the person to assign the leads to.", detail={"owner": "unknown"})
    if not (reason or "").strip():
        raise ApplicationError("Give a reason for the reassignment.", detail={"reason": "is required"})
    leads, result = _split(actor, ids, "reassign", "you may not reassign them")
    for lead in leads:
        if lead.owner_id == to_user.pk:
            result.skipped[f"already owned by {to_user.get_full_name() or to_user}"] += 1
            continue
        with transaction.atomic():
            lead_reassign(lead=lead, to_user=to_user, reason=reason, actor=actor, channel=Channel.PAGE)
        result.done += 1
    return result


def leads_bulk_stage(*, actor: User, lead_ids: list[int], stage: str, reason: str) -> BulkResult:
    """Move the selected leads to a lifecycle stage, with the reason on each lead's timeline."""
    ids = _ids(lead_ids)
    if stage not in Stage.values:
        raise ApplicationError("Choose the stage to move the leads to.", detail={"stage": "unknown"})
    if not (reason or "").strip():
        raise ApplicationError("Give a reason for the stage change.", detail={"reason": "is required"})
    leads, result = _split(actor, ids, "stage", "you may not change their stage")
    for lead in leads:
        if lead.stage == stage:
            result.skipped["already in that stage"] += 1
            continue
        with transaction.atomic():
            lead_stage_set(lead=lead, stage=stage, actor=actor, reason=reason.strip(), channel=Channel.PAGE)
        result.done += 1
    return result


def leads_bulk_add_to_campaign(*, actor: User, lead_ids: list[int], campaign_id: int | None) -> BulkResult:
    """Add the selected leads to a campaign: a touchpoint of each lead with it, dated now."""
    ids = _ids(lead_ids)
    campaign = access.campaigns_actionable_by(actor).filter(pk=campaign_id).first() if campaign_id else None
    if campaign is None:
        if campaign_id and access.campaigns_visible_to(actor).filter(pk=campaign_id).exists():
            raise AccessDenied("Only marketing and admins add leads to campaigns.")
        raise ApplicationError("Choose the campaign to add the leads to.", detail={"campaign": "unknown"})
    leads, result = _split(actor, ids, "stage", "you may not work on them")
    now = timezone.now()
    already = set(
        Touchpoint.objects.filter(campaign=campaign, lead__in=[lead.pk for lead in leads]).values_list(
            "lead_id", flat=True
        )
    )
    for lead in leads:
        if lead.pk in already:
            result.skipped["already in the campaign"] += 1
            continue
        with transaction.atomic():
            touchpoint_record(
                lead=lead,
                kind=TouchpointKind.OTHER,
                occurred_at=now,
                campaign=campaign,
                intake_channel=Channel.PAGE,
                activity="added_to_campaign",
            )
        result.done += 1
    return result


def leads_bulk_trash(*, actor: User, lead_ids: list[int], reason: str) -> BulkResult:
    """Move the selected leads to the trash (restorable), through privacy's ``lead_delete``."""
    ids = _ids(lead_ids)
    if not actor.has_role(*access.TRASH_ROLES):
        raise AccessDenied("Only marketing, the heads and admins move leads to the trash.")
    leads, result = _split(actor, ids, "view", "they are not in your lists")
    for lead in leads:
        with transaction.atomic():
            lead_delete(lead=lead, actor=actor, reason=reason.strip(), channel=Channel.PAGE)
        result.done += 1
    return result


# --- accounts -----------------------------------------------------------------------------------------

ACCOUNT_REFUSAL = (
    "Only admins, and people whose own, team's or reports' account this is, may change this account."
)


def _account_to_act_on(actor: User, account_id: int) -> Account:
    account = access.accounts_visible_to(actor).select_for_update(of=("self",)).filter(pk=account_id).first()
    if account is None:
        raise NotFound(f"Account {account_id} was not found.", detail={"id": account_id})
    if not _may_change_account(actor, account_id):
        raise AccessDenied(ACCOUNT_REFUSAL, detail={"id": account_id})
    return account


def _may_change_account(actor: User, account_id: int) -> bool:
    """Account control (access.accounts_actionable_by), plus the all-records desk roles that keep the
    account book clean (marketing and the heads merge duplicate companies)."""
    if actor.has_role(Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD):
        return True
    return access.accounts_actionable_by(actor).filter(pk=account_id).exists()


def may_change_account(actor: User, account: Account) -> bool:
    """Whether the account page offers merge and parent (the writes check again)."""
    return _may_change_account(actor, account.pk)


@transaction.atomic
def account_parent_set(*, account_id: int, parent_id: int | None, actor: User) -> Account:
    """Set (or clear) the account's parent company; a company cannot sit under itself or its own
    subsidiaries."""
    account = _account_to_act_on(actor, account_id)
    parent = None
    if parent_id:
        parent = access.accounts_visible_to(actor).filter(pk=parent_id).first()
        if parent is None:
            raise NotFound(f"Account {parent_id} was not found.", detail={"parent": parent_id})
        seen = {account.pk}
        cursor: Account | None = parent
        while cursor is not None:
            if cursor.pk in seen:
                raise ApplicationError(
                    f"{parent.name} belongs to {account.name} already: a company cannot be its own parent.",
                    detail={"parent": "would make a loop"},
                )
            seen.add(cursor.pk)
            cursor = cursor.parent
    previous = account.parent
    account.parent = parent
    account.full_clean()
    account.save(update_fields=["parent", "updated_at"])
    event_record(
        type="account.parent_set",
        subject=account,
        actor=actor,
        channel=Channel.PAGE,
        payload={
            "from": previous.name if previous else "",
            "to": parent.name if parent else "",
        },
    )
    return account


@transaction.atomic
def account_merge(*, keep_id: int, merge_id: int, actor: User) -> Account:
    """Merge a duplicate account into the one kept: its people, deals, domains and subsidiaries move
    over, empty fields are filled from it, and the duplicate is removed (an event keeps its name)."""
    if keep_id == merge_id:
        raise ApplicationError("Choose two different accounts to merge.", detail={"merge": "same account"})
    keep = _account_to_act_on(actor, keep_id)
    merge = _account_to_act_on(actor, merge_id)
    filled = {}
    for name in ("industry", "size", "country", "website", "owner_id"):
        if getattr(keep, name) in (None, "") and getattr(merge, name) not in (None, ""):
            setattr(keep, name, getattr(merge, name))
            filled[name.removesuffix("_id")] = str(getattr(merge, name))
    if keep.parent_id is None and merge.parent_id not in (None, keep.pk):
        keep.parent_id = merge.parent_id
    moved: dict[str, int] = {}
    for relation in Account._meta.related_objects:
        if relation.related_model is Account and relation.field.name == "parent":
            moved["subsidiaries"] = (
                Account.objects.filter(parent=merge).exclude(pk=keep.pk).update(parent=keep)
            )
            continue
        if not relation.one_to_many:
            continue
        model, fk = relation.related_model, relation.field.name
        if isinstance(model, str):  # only a lazy "self" reference, resolved by now
            continue
        rows = model._default_manager.filter(**{fk: merge})
        try:
            with transaction.atomic():
                moved[relation.name] = rows.update(**{fk: keep})
        except IntegrityError:
            # A per-account setting both accounts hold (one row per person and account): keep the
            # kept account's own; the duplicate's goes with it.
            moved[relation.name] = 0
    keep.save()
    name, pk = merge.name, merge.pk
    merge.delete()
    event_record(
        type="account.merged",
        subject=keep,
        actor=actor,
        channel=Channel.PAGE,
        payload={"merged_account": pk, "merged_name": name, "filled": filled, "moved": moved},
    )
    return keep
