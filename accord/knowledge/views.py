"""Knowledge pages: ask a question with answers appearing while typing, the marketing queue, answers
with their owners and review dates. Reads, and who may act, go through ``accord.people.access``; writes
through services, which ask it again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.dateparse import parse_date
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from accord.core.errors import ApplicationError
from accord.knowledge import selectors, services
from accord.knowledge.models import AskedQuestionStatus
from accord.knowledge.search import answers_search
from accord.people import access
from accord.people.access import signed_in_user


def _refused_or_said(exc: ApplicationError) -> None:
    """A refusal (403) or a record out of sight (404) is the page's answer; other errors become a message."""
    if exc.status_code in (403, 404):
        raise exc


PAGE_SIZE = 30


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    is_marketing = access.may_write_answers(user)
    answers_page = Paginator(selectors.answers_list(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "knowledge/home.html",
        {
            "is_marketing": is_marketing,
            "my_questions": selectors.questions_for(user=user, mine=True)[:10],
            "queue": selectors.open_queue(user=user)[:50] if is_marketing else [],
            "often": selectors.often_asked(user=user) if is_marketing else [],
            "stale": selectors.stale_answers(user=user, limit=20) if is_marketing else [],
            "answers_page": answers_page,
            "q": request.GET.get("q", "")[:500],
        },
    )


@require_GET
@login_required
def suggest(request: HttpRequest) -> HttpResponse:
    """The answers matching what is typed so far (an HTMX partial)."""
    user = signed_in_user(request)
    # "text" when sent by the ask box itself (its field name), "q" from elsewhere.
    q = (request.GET.get("text") or request.GET.get("q", ""))[:500]
    hits = answers_search(user=user, query=q, limit=5) if q.strip() else []
    return render(request, "knowledge/_suggestions.html", {"hits": hits, "q": q})


@require_POST
@login_required
def ask(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    resolved_by = None
    try:
        if request.POST.get("resolved_by", "").isdigit():
            resolved_by = access.access_knowledge_answer_by_id(
                user, int(request.POST["resolved_by"]), action="cite"
            )
        question = services.question_ask(
            user=user, text=request.POST.get("text", ""), resolved_by=resolved_by
        )
    except ApplicationError as exc:
        _refused_or_said(exc)
        messages.error(request, exc.message)
        return redirect("knowledge:home")
    if resolved_by is not None:
        messages.success(request, "Glad it helped. Counting it lets marketing see what reps need most.")
        return redirect("knowledge:answer", answer_id=resolved_by.pk)
    owner = f" {question.owner} will answer" if question.owner else " Marketing will answer"
    messages.success(request, f"Sent.{owner} by {question.due_at:%d %b %H:%M} UTC; you will be notified.")
    return redirect("knowledge:question", question_id=question.pk)


@login_required
def question_detail(request: HttpRequest, question_id: int) -> HttpResponse:
    user = signed_in_user(request)
    question = access.access_knowledge_question_by_id(user, question_id, action="view")
    can_answer = access.may_act(user, question, "answer") and question.status == AskedQuestionStatus.OPEN
    if request.method == "POST":
        try:
            existing = None
            if request.POST.get("answer", "").isdigit():
                existing = access.access_knowledge_answer_by_id(
                    user, int(request.POST["answer"]), action="cite"
                )
            services.question_answer(
                user=user,
                question=question,
                answer=existing,
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
                review_by=parse_date(request.POST.get("review_by", "") or ""),
            )
            messages.success(request, "Answered; the rep is told and the next rep will find it.")
        except ApplicationError as exc:
            _refused_or_said(exc)
            messages.error(request, exc.message)
        return redirect("knowledge:question", question_id=question.pk)
    return render(
        request,
        "knowledge/question.html",
        {
            "question": question,
            "can_answer": can_answer,
            "suggestions": answers_search(user=user, query=question.text, limit=3) if can_answer else [],
        },
    )


@login_required
def answer_detail(request: HttpRequest, answer_id: int) -> HttpResponse:
    user = signed_in_user(request)
    answer = access.access_knowledge_answer_by_id(user, answer_id, action="view")
    if request.method == "POST":
        try:
            services.answer_update(
                user=user,
                answer=answer,
                title=request.POST.get("title"),
                body=request.POST.get("body"),
                review_by=parse_date(request.POST.get("review_by", "") or ""),
                retired=bool(request.POST.get("retired")),
            )
            messages.success(request, "Answer saved; review date moved on.")
        except ApplicationError as exc:
            _refused_or_said(exc)
            messages.error(request, exc.message)
        return redirect("knowledge:answer", answer_id=answer.pk)
    return render(
        request,
        "knowledge/answer.html",
        {
            "answer": answer,
            "can_edit": access.may_act(user, answer, "act"),
            "asked": answer.questions.select_related("asked_by").order_by("-created_at")[:20],
        },
    )


@require_POST
@login_required
def answer_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    try:
        answer = services.answer_create(
            user=user,
            title=request.POST.get("title", ""),
            body=request.POST.get("body", ""),
            review_by=parse_date(request.POST.get("review_by", "") or ""),
        )
    except ApplicationError as exc:
        _refused_or_said(exc)
        messages.error(request, exc.message)
        return redirect("knowledge:home")
    messages.success(request, "Answer published.")
    return redirect("knowledge:answer", answer_id=answer.pk)


def inbox_ask_panel(request: HttpRequest) -> SafeString:
    """The "Ask marketing" box above the rep inbox (registered with sla in ready())."""
    return mark_safe(render_to_string("knowledge/_inbox_ask.html", {}, request=request))


urlpatterns = [
    path("knowledge/", home, name="home"),
    path("knowledge/suggest", suggest, name="suggest"),
    path("knowledge/ask", ask, name="ask"),
    path("knowledge/questions/<int:question_id>/", question_detail, name="question"),
    path("knowledge/answers/new", answer_new, name="answer_new"),
    path("knowledge/answers/<int:answer_id>/", answer_detail, name="answer"),
]
