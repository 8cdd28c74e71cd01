"""Enablement pages: the marketing workspace, briefs, materials with their review, the library, the
committee, positioning rounds, and the public share link.

Every page reads through ``accord.people.access`` (via the selectors) and every write through a service;
a record the person may not see is a 404, one they see but may not change a 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.core.errors import AccessDenied, ApplicationError, NotFound
from accord.enablement.files import kind_for, stream_file
from accord.enablement.forms import (
    ApprovalForm,
    BriefForm,
    CommentForm,
    CommitteeForm,
    LibraryFilterForm,
    MaterialForm,
    PositioningAnswerForm,
    PositioningRoundForm,
    PositioningSummaryForm,
    PublishForm,
    RatingForm,
    RetireForm,
    ShareForm,
    VersionForm,
)
from accord.enablement.models import Brief, Material, MaterialStatus
from accord.enablement.selectors import (
    LibraryFilters,
    MaterialFilters,
    approvals_waiting_for,
    brief_get,
    brief_list,
    committee_list,
    gates_of,
    is_insider,
    library_facets,
    library_report,
    library_search,
    material_approvals,
    material_comments,
    material_get,
    material_list,
    material_reviews,
    material_versions,
    my_positioning_answer,
    my_rating,
    my_shares,
    positioning_answers,
    positioning_round_get,
    positioning_round_list,
    reviews_waiting_for,
    version_visible,
)
from accord.enablement.services import (
    MaterialSpec,
    approval_decide,
    brief_agree,
    brief_create,
    brief_side_of,
    brief_update,
    committee_for,
    committee_set,
    material_comment_add,
    material_create,
    material_opened,
    material_publish,
    material_retire,
    material_submit_review,
    material_version_add,
    may_comment,
    positioning_answer_set,
    positioning_round_open,
    positioning_summary_set,
    publish_blockers,
    rating_set,
    share_create,
    share_sender,
    share_url,
    share_view,
)
from accord.people.access import (
    BRIEF_WRITER_ROLES,
    COMMITTEE_CHOOSER_ROLES,
    ENABLEMENT_EDITOR_ROLES,
    SALES_ROLES,
    leads_actionable_by,
    signed_in_user,
)
from accord.people.models import Role, User

PAGE_SIZE = 30
# Who reads the library's reports: marketing, the heads, managers, executives, admins (not single reps).
REPORT_ROLES = frozenset(
    {Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.SALES_MANAGER, Role.EXECUTIVE}
)


def _page(rows: Any, request: HttpRequest) -> tuple[list[Any], int, bool]:
    """One page of ``rows`` by offset, without counting the table: (rows, page number, has next)."""
    try:
        number = max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        number = 1
    start = (number - 1) * PAGE_SIZE
    found = list(rows[start : start + PAGE_SIZE + 1])
    return found[:PAGE_SIZE], number, len(found) > PAGE_SIZE


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _or_404(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except NotFound:
        raise Http404("Not found.") from None


def _act(request: HttpRequest, write: Callable[[], Any], done: str, back: str) -> HttpResponse:
    """Run a write; a refusal is a 403 page, an unseen record a 404, a business rule a message."""
    try:
        write()
    except AccessDenied as exc:
        raise PermissionDenied(exc.message) from None
    except NotFound:
        raise Http404("Not found.") from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back)


def _require(user: User, roles: frozenset[str], why: str) -> None:
    if not user.has_role(*roles):
        raise PermissionDenied(why)


# --- workspace and briefs -----------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    _require(
        user,
        BRIEF_WRITER_ROLES,
        "The enablement workspace is for marketing and sales; the library is open to all.",
    )
    status = request.GET.get("status", "")
    status = status if status in MaterialStatus.values else ""
    mine = request.GET.get("mine") == "1"
    rows, number, more = _page(
        material_list(user=user, filters=MaterialFilters(status=status, mine=mine)), request
    )
    return render(
        request,
        "enablement/home.html",
        {
            "materials": rows,
            "page_number": number,
            "has_next": more,
            "query": _query_without_page(request),
            "statuses": MaterialStatus.choices,
            "status": status,
            "mine": mine,
            "reviews": reviews_waiting_for(user),
            "approvals": approvals_waiting_for(user),
            "committee": committee_for(timezone.localdate()),
            "is_editor": user.has_role(*ENABLEMENT_EDITOR_ROLES),
        },
    )


@login_required
def briefs(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    rows, number, more = _page(brief_list(user=user, q=request.GET.get("q", "").strip()[:200]), request)
    return render(
        request,
        "enablement/briefs.html",
        {
            "briefs": rows,
            "page_number": number,
            "has_next": more,
            "query": _query_without_page(request),
            "can_draft": user.has_role(*ENABLEMENT_EDITOR_ROLES),
            "q": request.GET.get("q", ""),
        },
    )


@login_required
def brief_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    _require(user, ENABLEMENT_EDITOR_ROLES, "Marketing drafts briefs; sales add to them and accept them.")
    form = BriefForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            brief = brief_create(
                user=user,
                title=form.cleaned_data["title"],
                subject=form.cleaned_data["subject"],
                product=form.cleaned_data["product"],
                texts=form.texts(),
            )
        except AccessDenied as exc:
            raise PermissionDenied(exc.message) from None
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Brief drafted. Sales can now add to it.")
            return redirect("enablement:brief", brief.pk)
    return render(request, "enablement/brief_form.html", {"form": form, "brief": None})


@login_required
def brief_detail(request: HttpRequest, brief_id: int) -> HttpResponse:
    user = signed_in_user(request)
    brief: Brief = _or_404(lambda: brief_get(user=user, brief_id=brief_id))
    initial = {"title": brief.title, "subject": brief.subject, "product": brief.product}
    initial.update({name: value for name, _label, value in brief.answers() + brief.outcomes()})
    return render(
        request,
        "enablement/brief.html",
        {
            "brief": brief,
            "form": BriefForm(initial=initial),
            "can_edit": user.has_role(*BRIEF_WRITER_ROLES),
            "side": brief_side_of(brief=brief, user=user),
            "materials": brief.materials.order_by("-updated_at")[:50],
        },
    )


@login_required
@require_POST
def brief_edit(request: HttpRequest, brief_id: int) -> HttpResponse:
    user = signed_in_user(request)
    brief: Brief = _or_404(lambda: brief_get(user=user, brief_id=brief_id))
    form = BriefForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Check the brief: "
            + "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()),
        )
        return redirect("enablement:brief", brief.pk)
    return _act(
        request,
        lambda: brief_update(
            brief=brief,
            user=user,
            texts=form.texts(),
            title=form.cleaned_data["title"],
            product=form.cleaned_data["product"],
        ),
        "Brief saved. Any earlier acceptance is cleared: the text changed.",
        reverse("enablement:brief", args=[brief.pk]),
    )


@login_required
@require_POST
def brief_agree_page(request: HttpRequest, brief_id: int) -> HttpResponse:
    user = signed_in_user(request)
    brief: Brief = _or_404(lambda: brief_get(user=user, brief_id=brief_id))
    return _act(
        request,
        lambda: brief_agree(brief=brief, user=user),
        "You accepted the brief.",
        reverse("enablement:brief", args=[brief.pk]),
    )


# --- materials ----------------------------------------------------------------------------------------------------


@login_required
def material_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    _require(
        user,
        BRIEF_WRITER_ROLES,
        "Marketing makes material and sales submit their own; executives read the library.",
    )
    choices = list(brief_list(user=user)[:200])
    form = MaterialForm(
        request.POST or None,
        request.FILES or None,
        briefs=choices,
        initial={"brief": request.GET.get("brief")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        spec = MaterialSpec(
            title=data["title"],
            description=data["description"],
            brief_id=data["brief"],
            customer_facing=data["customer_facing"],
            needs_compliance=data["needs_compliance"],
            needs_legal=data["needs_legal"],
            product=data["product"],
            stage=data["stage"],
            vertical=data["vertical"],
            competitor=data["competitor"],
            questions=data["questions"],
        )
        try:
            material = material_create(
                user=user, spec=spec, upload=data["file"], url=data["url"] or "", note=data["note"]
            )
        except AccessDenied as exc:
            raise PermissionDenied(exc.message) from None
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Material saved as a draft. Send it to review when it is ready.")
            return redirect("enablement:material", material.pk)
    return render(request, "enablement/material_form.html", {"form": form})


@login_required
def material_detail(request: HttpRequest, material_id: int) -> HttpResponse:
    user = signed_in_user(request)
    material: Material = _or_404(lambda: material_get(user=user, material_id=material_id))
    if not is_insider(user=user, material=material):
        # Readers of the library get the library's page: the review's comments and the gates' notes
        # are for those who work on the material.
        return redirect("enablement:library_material", material.pk)
    is_editor = user.has_role(*ENABLEMENT_EDITOR_ROLES)
    may_act = is_editor or material.owner_id == user.pk
    reviews = material_reviews(material)
    in_review = material.status in (MaterialStatus.IN_REVIEW, MaterialStatus.APPROVED)
    my_gates = sorted(gates_of(user) & set(material.required_gates())) if in_review else []
    return render(
        request,
        "enablement/material.html",
        {
            "material": material,
            "brief": material.brief,
            "versions": material_versions(material),
            "reviews": reviews,
            "open_review": next((r for r in reviews if r.is_open), None),
            "comments": material_comments(material),
            "approvals": material_approvals(material),
            "blockers": publish_blockers(material) if in_review else [],
            "can_comment": in_review and may_comment(material=material, user=user),
            "can_submit": may_act and material.status == MaterialStatus.DRAFT,
            "can_add_version": may_act
            and material.status in (MaterialStatus.DRAFT, MaterialStatus.APPROVED, MaterialStatus.PUBLISHED),
            "can_publish": is_editor and in_review,
            "can_retire": is_editor and material.in_library,
            "my_gates": my_gates,
            "comment_form": CommentForm(),
            "approval_form": ApprovalForm(),
            "publish_form": PublishForm(),
            "retire_form": RetireForm(),
            "version_form": VersionForm(),
        },
    )


def _material_back(material_id: int) -> str:
    return reverse("enablement:material", args=[material_id])


@login_required
@require_POST
def material_version_new(request: HttpRequest, material_id: int) -> HttpResponse:
    user = signed_in_user(request)
    material: Material = _or_404(lambda: material_get(user=user, material_id=material_id))
    form = VersionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Say what changed, and give a file or a link.")
        return redirect("enablement:material", material.pk)
    data = form.cleaned_data
    return _act(
        request,
        lambda: material_version_add(
            material=material, user=user, upload=data["file"], url=data["url"] or "", note=data["note"]
        ),
        "New version added; it goes through review again.",
        _material_back(material.pk),
    )


@login_required
@require_POST
def material_submit(request: HttpRequest, material_id: int) -> HttpResponse:
    user = signed_in_user(request)
    material: Material = _or_404(lambda: material_get(user=user, material_id=material_id))

    def write() -> None:
        started = material_submit_review(material=material, user=user)
        if started.deadline:
            messages.info(
                request,
                f"The sales committee has until {timezone.localtime(started.deadline):%Y-%m-%d %H:%M} "
                f"({started.business_days} business days) to comment.",
            )

    return _act(request, write, "Sent to review.", _material_back(material.pk))


@login_required
@require_POST
def material_comment(request: HttpRequest, material_id: int) -> HttpResponse:
    user = signed_in_user(request)
    material: Material = _or_404(lambda: material_get(user=user, material_id=material_id))
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write the comment, and give a page number of 1 or more, or a quote.")
        return redirect("enablement:material", material.pk)
    data = form.cleaned_data
    return _act(
        request,
        lambda: material_comment_add(
            material=material, user=user, body=data["body"], page=data["page"], quote=data["quote"]
        ),
        "Comment added.",
        _material_back(material.pk),
    )


@login_required
@require_POST
def material_approve(request: HttpRequest, material_id: int) -> HttpResponse:
    user = signed_in_user(request)
    material: Material = _or_404(lambda: material_get(user=user, material_id=material_id))
    form = ApprovalForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the gate and the decision.")
        return redirect("enablement:material", material.pk)
    data = form.cleaned_data
    return _act(
        request,
        lambda: approval_decide(
            material=material, user=user, gate=data["gate"], decision=data["decision"], note=data["note"]
        ),
        "Decision recorded.",
        _material_back(material.pk),
    )


@login_required
@require_POST
def material_publish_page(request: HttpRequest, material_id: int) -> HttpResponse:
    user = signed_in_user(request)
    material: Material = _or_404(lambda: material_get(user=user, material_id=material_id))
    note = request.POST.get("change_note", "")
    return _act(
        request,
        lambda: material_publish(material=material, user=user, change_note=note),
        "Published. The whole sales team has been told what is new and why.",
        _material_back(material.pk),
    )


@login_required
@require_POST
def material_retire_page(request: HttpRequest, material_id: int) -> HttpResponse:
    user = signed_in_user(request)
    material: Material = _or_404(lambda: material_get(user=user, material_id=material_id))
    reason = request.POST.get("reason", "")
    return _act(
        request,
        lambda: material_retire(material=material, user=user, reason=reason),
        "Retired: it left the library and its share links stopped working.",
        _material_back(material.pk),
    )


@login_required
def version_file(request: HttpRequest, material_id: int, version_id: int) -> HttpResponseBase:
    """The file of a version, streamed to someone who may see it (never a public URL)."""
    user = signed_in_user(request)
    material: Material = _or_404(lambda: material_get(user=user, material_id=material_id))
    version = _or_404(lambda: version_visible(user=user, material=material, version_id=version_id))
    if not version.file:
        if version.url:
            return HttpResponseRedirect(version.url)
        raise Http404("This version has no file.")
    if version.pk == material.published_version_id:
        material_opened(material=material, user=user)
    kind = kind_for(version.content_type)
    return stream_file(
        version.file,
        content_type=version.content_type or "application/octet-stream",
        name=version.original_name or "material",
        inline=bool(kind and kind.inline),
    )


@login_required
def version_preview(request: HttpRequest, material_id: int, version_id: int) -> HttpResponseBase:
    user = signed_in_user(request)
    material: Material = _or_404(lambda: material_get(user=user, material_id=material_id))
    version = _or_404(lambda: version_visible(user=user, material=material, version_id=version_id))
    if version.preview:
        return stream_file(version.preview, content_type="image/png", name="preview.png", inline=True)
    kind = kind_for(version.content_type)
    if (
        version.file and kind is not None and kind.is_image
    ):  # no thumbnail made: the image itself, scaled by the page
        return stream_file(
            version.file, content_type=version.content_type, name=version.original_name, inline=True
        )
    raise Http404("No preview.")


# --- the library ------------------------------------------------------------------------------------------------


@login_required
def library(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = LibraryFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = LibraryFilters(
        **{name: (data.get(name) or "").strip() for name in LibraryFilters.__dataclass_fields__}
    )
    rows, number, more = _page(library_search(user=user, filters=filters), request)
    return render(
        request,
        "enablement/library.html",
        {
            "form": form,
            "materials": rows,
            "page_number": number,
            "has_next": more,
            "query": _query_without_page(request),
            "facets": library_facets(),
            "can_submit": user.has_role(*SALES_ROLES),
            "can_work": user.has_role(*BRIEF_WRITER_ROLES),
            "can_report": user.has_role(*REPORT_ROLES),
        },
    )


def _library_material(user: User, material_id: int) -> Material:
    material: Material = _or_404(lambda: material_get(user=user, material_id=material_id))
    if not material.in_library:
        raise Http404("Not in the library.")
    return material


@login_required
def library_material(request: HttpRequest, material_id: int) -> HttpResponse:
    user = signed_in_user(request)
    material = _library_material(user, material_id)
    rating = my_rating(material=material, user=user)
    return render(
        request,
        "enablement/library_material.html",
        {
            "material": material,
            "brief": material.brief,
            "version": material.published_version,
            "can_share": user.has_role(*SALES_ROLES, Role.ADMIN),
            "can_rate": user.has_role(*SALES_ROLES, *ENABLEMENT_EDITOR_ROLES),
            "share_form": ShareForm(),
            "rating_form": RatingForm(
                initial={
                    "usefulness": rating.usefulness if rating else 4,
                    "missing": rating.missing if rating else "",
                }
            ),
            "rating": rating,
            "shares": my_shares(user=user, material=material),
            "site_url": share_url,
        },
    )


@login_required
@require_POST
def library_share(request: HttpRequest, material_id: int) -> HttpResponse:
    user = signed_in_user(request)
    material = _library_material(user, material_id)
    form = ShareForm(request.POST)
    back = reverse("enablement:library_material", args=[material.pk])
    if not form.is_valid():
        messages.error(request, "Give the lead's email address.")
        return redirect(back)
    email = form.cleaned_data["lead_email"].strip().lower()
    lead = leads_actionable_by(user, "act").filter(email_key=email).first()
    if lead is None:
        messages.error(request, f"None of the leads you work has the address {email}.")
        return redirect(back)

    def write() -> None:
        share = share_create(
            material=material,
            user=user,
            lead_id=lead.pk,
            send_email=form.cleaned_data["send_email"],
            message=form.cleaned_data["message"],
        )
        messages.info(request, f"Tracked link for {lead}: {share_url(share)}")
        if share.emailed_at:
            who = "under your name" if share.under_rep_name else "from the company's address"
            messages.info(request, f"Emailed {who} ({share.sender_reason}).")

    return _act(request, write, "Shared.", back)


@login_required
@require_POST
def library_rate(request: HttpRequest, material_id: int) -> HttpResponse:
    user = signed_in_user(request)
    material = _library_material(user, material_id)
    form = RatingForm(request.POST)
    back = reverse("enablement:library_material", args=[material.pk])
    if not form.is_valid():
        messages.error(request, "Rate usefulness from 1 to 5.")
        return redirect(back)
    return _act(
        request,
        lambda: rating_set(
            material=material,
            user=user,
            usefulness=form.cleaned_data["usefulness"],
            missing=form.cleaned_data["missing"],
        ),
        "Thanks: your rating is saved.",
        back,
    )


@login_required
def library_reports(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    _require(
        user, REPORT_ROLES, "The library's reports are for marketing, the heads, managers and executives."
    )
    return render(request, "enablement/reports.html", {"report": library_report(user=user)})


@login_required
def share_sender_preview(request: HttpRequest) -> HttpResponse:
    """Under whose name a share to a lead would be emailed (the share form shows it before sending)."""
    user = signed_in_user(request)
    email = request.GET.get("lead_email", "").strip().lower()[:320]
    lead = (
        leads_actionable_by(user, "act").filter(email_key=email).select_related("owner", "account").first()
        if email
        else None
    )
    sender = share_sender(lead) if lead is not None else None
    return render(request, "enablement/_sender.html", {"lead": lead, "sender": sender, "email": email})


def public_share(request: HttpRequest, token: str) -> HttpResponseBase:
    """A prospect opens a tracked link: the view is recorded on the lead, then the material is served."""
    if len(token) > 64:
        raise Http404("Not found.")
    share = _or_404(lambda: share_view(token=token))
    version = (
        share.version
        if share.material.published_version_id == share.version_id
        else share.material.published_version
    )
    if version.url:
        return HttpResponseRedirect(version.url)
    kind = kind_for(version.content_type)
    return stream_file(
        version.file,
        content_type=version.content_type,
        name=version.original_name,
        inline=bool(kind and kind.inline),
    )


# --- the committee and positioning rounds ------------------------------------------------------------------------


@login_required
def committees(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    reps = (
        User.objects.filter(is_active=True, roles__role=Role.SALES_REP).distinct().order_by("username")[:500]
    )
    form = CommitteeForm(request.POST or None, reps=reps)
    if request.method == "POST":
        _require(
            user, COMMITTEE_CHOOSER_ROLES, "The marketing head and the sales head choose the sales committee."
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                committee_set(
                    user=user,
                    name=data["name"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    member_ids=data["members"],
                )
            except AccessDenied as exc:
                raise PermissionDenied(exc.message) from None
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Sales committee chosen.")
                return redirect("enablement:committees")
    return render(
        request,
        "enablement/committees.html",
        {
            "committees": committee_list(),
            "form": form,
            "can_choose": user.has_role(*COMMITTEE_CHOOSER_ROLES),
            "current": committee_for(timezone.localdate()),
        },
    )


@login_required
def positioning(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    rows, number, more = _page(positioning_round_list(user=user), request)
    return render(
        request,
        "enablement/positioning.html",
        {
            "rounds": rows,
            "page_number": number,
            "has_next": more,
            "query": _query_without_page(request),
            "can_open": user.has_role(*ENABLEMENT_EDITOR_ROLES),
            "now": timezone.now(),
        },
    )


@login_required
def positioning_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    _require(user, ENABLEMENT_EDITOR_ROLES, "Marketing opens positioning rounds.")
    form = PositioningRoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round_ = positioning_round_open(
                user=user, product=data["product"], deadline=data["deadline"], question=data["question"]
            )
        except AccessDenied as exc:
            raise PermissionDenied(exc.message) from None
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Round opened; every salesperson has been asked.")
            return redirect("enablement:positioning_round", round_.pk)
    return render(request, "enablement/positioning_form.html", {"form": form})


@login_required
def positioning_round(request: HttpRequest, round_id: int) -> HttpResponse:
    user = signed_in_user(request)
    round_ = _or_404(lambda: positioning_round_get(user=user, round_id=round_id))
    is_editor = user.has_role(*ENABLEMENT_EDITOR_ROLES)
    mine = my_positioning_answer(round_=round_, user=user)
    initial = (
        {
            "against_existing_line": mine.against_existing_line,
            "expected_objections": mine.expected_objections,
            "notes": mine.notes,
        }
        if mine
        else None
    )
    is_open = round_.is_open and timezone.now() < round_.deadline
    return render(
        request,
        "enablement/positioning_round.html",
        {
            "round": round_,
            "is_open": is_open,
            "is_editor": is_editor,
            "answers": positioning_answers(round_) if is_editor or not is_open else [],
            "can_answer": is_open and user.has_role(*SALES_ROLES),
            "answer_form": PositioningAnswerForm(initial=initial),
            "summary_form": PositioningSummaryForm(initial={"summary": round_.summary}),
            "mine": mine,
        },
    )


@login_required
@require_POST
def positioning_answer(request: HttpRequest, round_id: int) -> HttpResponse:
    user = signed_in_user(request)
    round_ = _or_404(lambda: positioning_round_get(user=user, round_id=round_id))
    form = PositioningAnswerForm(request.POST)
    back = reverse("enablement:positioning_round", args=[round_.pk])
    if not form.is_valid():
        messages.error(request, "Answer both questions.")
        return redirect(back)
    data = form.cleaned_data
    return _act(
        request, lambda: positioning_answer_set(round_id=round_.pk, user=user, **data), "Answer saved.", back
    )


@login_required
@require_POST
def positioning_summary(request: HttpRequest, round_id: int) -> HttpResponse:
    user = signed_in_user(request)
    round_ = _or_404(lambda: positioning_round_get(user=user, round_id=round_id))
    summary = request.POST.get("summary", "")
    return _act(
        request,
        lambda: positioning_summary_set(round_id=round_.pk, user=user, summary=summary),
        "Summary saved.",
        reverse("enablement:positioning_round", args=[round_.pk]),
    )


urlpatterns = [
    path("enablement/", home, name="home"),
    path("enablement/briefs/", briefs, name="briefs"),
    path("enablement/briefs/new/", brief_new, name="brief_new"),
    path("enablement/briefs/<int:brief_id>/", brief_detail, name="brief"),
    path("enablement/briefs/<int:brief_id>/edit", brief_edit, name="brief_edit"),
    path("enablement/briefs/<int:brief_id>/agree", brief_agree_page, name="brief_agree"),
    path("enablement/materials/new/", material_new, name="material_new"),
    path("enablement/materials/<int:material_id>/", material_detail, name="material"),
    path(
        "enablement/materials/<int:material_id>/versions", material_version_new, name="material_version_new"
    ),
    path("enablement/materials/<int:material_id>/submit-review", material_submit, name="material_submit"),
    path("enablement/materials/<int:material_id>/comments", material_comment, name="material_comment"),
    path("enablement/materials/<int:material_id>/approvals", material_approve, name="material_approve"),
    path("enablement/materials/<int:material_id>/publish", material_publish_page, name="material_publish"),
    path("enablement/materials/<int:material_id>/retire", material_retire_page, name="material_retire"),
    path(
        "enablement/materials/<int:material_id>/versions/<int:version_id>/file",
        version_file,
        name="version_file",
    ),
    path(
        "enablement/materials/<int:material_id>/versions/<int:version_id>/preview",
        version_preview,
        name="version_preview",
    ),
    path("enablement/committee/", committees, name="committees"),
    path("enablement/positioning/", positioning, name="positioning"),
    path("enablement/positioning/new/", positioning_new, name="positioning_new"),
    path("enablement/positioning/<int:round_id>/", positioning_round, name="positioning_round"),
    path("enablement/positioning/<int:round_id>/answer", positioning_answer, name="positioning_answer"),
    path("enablement/positioning/<int:round_id>/summary", positioning_summary, name="positioning_summary"),
    path("library/", library, name="library"),
    path("library/reports/", library_reports, name="library_reports"),
    path("library/sender", share_sender_preview, name="share_sender"),
    path("library/<int:material_id>/", library_material, name="library_material"),
    path("library/<int:material_id>/share", library_share, name="library_share"),
    path("library/<int:material_id>/rate", library_rate, name="library_rate"),
]
