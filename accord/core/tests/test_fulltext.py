"""Full-text search: one interface, the same answers on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from accord.core import fulltext
from accord.core.fulltext import Document, index_documents, register_document_type, remove_documents, search
from accord.core.models import FullTextDocument, Organization

pytestmark = pytest.mark.django_db

NOTE = "test_note"
OTHER = "test_other"


@pytest.fixture(autouse=True)
def types():
    register_document_type(NOTE)
    register_document_type(OTHER)
    yield
    fulltext.unregister_document_type(NOTE)
    fulltext.unregister_document_type(OTHER)


def ids(hits):
    return [h.object_id for h in hits]


def test_a_word_in_the_title_ranks_above_the_same_word_in_the_body():
    index_documents(
        NOTE,
        [
            (1, "Onboarding checklist", "Mentions discounts once in passing."),
            (2, "Discount policy for hospitals", "Who approves a discount and up to how much."),
            (3, "Holiday schedule", "Nothing about money."),
        ],
    )
    hits = search(NOTE, "discount")
    assert ids(hits) == [2, 1]
    assert hits[0].score > hits[1].score
    assert all(h.doc_type == NOTE for h in hits)


def test_words_are_stemmed_so_pricing_finds_prices():
    index_documents(NOTE, [(1, "Prices for the clinic plan", "")])
    assert ids(search(NOTE, "pricing ")) == [1]
    assert ids(search(NOTE, "priced ")) == [1]


def test_the_last_word_matches_as_a_prefix_while_typing_but_not_after_a_space():
    index_documents(NOTE, [(1, "Hospital procurement", ""), (2, "Hosting costs", "")])
    assert ids(search(NOTE, "hospi")) == [1]
    assert sorted(ids(search(NOTE, "hos"))) == [1, 2]
    assert ids(search(NOTE, "hos ")) == []


def test_all_wants_every_word_and_any_ranks_by_how_many_words_match():
    index_documents(
        NOTE,
        [
            (1, "Competitor pricing", "How our price compares with Medica."),
            (2, "Competitor list", "Who we meet in deals."),
            (3, "Lunch menu", "Soup."),
        ],
    )
    assert ids(search(NOTE, "competitor price ")) == [1]
    hits = search(NOTE, "how does a competitor price things ", match="any")
    assert ids(hits)[:2] == [1, 2]
    assert 3 not in ids(hits)


def test_any_leaves_out_common_words_so_they_do_not_match_everything():
    index_documents(NOTE, [(1, "What is the refund window", ""), (2, "What is the office address", "")])
    assert ids(search(NOTE, "what is the refund", match="any")) == [1]


def test_types_are_kept_apart_and_searched_together_on_request():
    index_documents(NOTE, [(1, "Renewal playbook", "")])
    index_documents(OTHER, [(1, "Renewal dates", "")])
    assert [(h.doc_type, h.object_id) for h in search(NOTE, "renewal")] == [(NOTE, 1)]
    assert sorted((h.doc_type, h.object_id) for h in search([NOTE, OTHER], "renewal")) == [
        (NOTE, 1),
        (OTHER, 1),
    ]


def test_restrict_limits_a_type_to_the_ids_or_the_queryset_given(django_user_model):
    users = [django_user_model.objects.create_user(username=f"u{i}", password="x") for i in range(3)]
    index_documents(NOTE, [(u.pk, f"Visible note {u.username}", "") for u in users])
    index_documents(OTHER, [(99, "Visible note elsewhere", "")])
    assert sorted(ids(search(NOTE, "visible", restrict={NOTE: [users[0].pk]}))) == [users[0].pk]
    allowed = django_user_model.objects.filter(username__in=["u1", "u2"])
    assert sorted(ids(search(NOTE, "visible", restrict={NOTE: allowed}))) == [users[1].pk, users[2].pk]
    assert search(NOTE, "visible", restrict={NOTE: []}) == []
    both = search([NOTE, OTHER], "visible", restrict={NOTE: []})
    assert [(h.doc_type, h.object_id) for h in both] == [(OTHER, 99)]


def test_indexing_again_replaces_the_text_and_removing_takes_it_out():
    index_documents(NOTE, [(1, "Old wording", "")])
    index_documents(NOTE, [(1, "New wording", "")])
    assert FullTextDocument.objects.filter(doc_type=NOTE).count() == 1
    assert search(NOTE, "old ") == []
    assert ids(search(NOTE, "new ")) == [1]
    assert remove_documents(NOTE, [1]) == 1
    assert search(NOTE, "wording") == []


def test_limit_caps_the_hits():
    index_documents(NOTE, [(i, f"Report number {i}", "") for i in range(1, 31)])
    assert len(search(NOTE, "report", limit=5)) == 5


def test_snippets_mark_the_match_and_the_html_form_escapes_the_text():
    index_documents(NOTE, [(1, "Title", "Say <b>no</b> to the discount unless the deal is large.")])
    [hit] = search(NOTE, "discount")
    assert fulltext.MARK_START in hit.snippet
    html = fulltext.snippet_html(hit.snippet)
    assert "<mark>discount</mark>" in html
    # FTS5 keeps the tag as text (escaped here); PostgreSQL's parser drops it: neither reaches the page as a tag.
    assert "<b>" not in html
    assert "discount" in fulltext.snippet_text(hit.snippet)


HOSTILE = [
    '"',
    '"unbalanced',
    "AND",
    "OR NOT",
    "NEAR(a b",
    "*",
    "title:discount",
    "^discount",
    "discount*",
    "-discount",
    "'; DROP TABLE core_fulltextdocument; --",
    "(((",
    "a & | ! b",
    "foo:* | bar",
    "\x00\x01\x02",
    "😀🔥",
    "\\",
    "%s %s %%",
    "the of and",
    "x" * 5000,
    " ".join(["word"] * 500),
    "",
    "   ",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("match", ["all", "any"])
def test_no_user_text_is_a_syntax_error(text, match):
    index_documents(NOTE, [(1, "Discount rules", "AND OR NOT NEAR title")])
    hits = search(NOTE, text, match=match)
    assert isinstance(hits, list)
    assert FullTextDocument.objects.filter(doc_type=NOTE).count() == 1


def test_operator_words_are_searched_as_plain_words():
    index_documents(NOTE, [(1, "Terms and conditions", "not negotiable near year end")])
    assert ids(search(NOTE, "negotiable near")) == [1]


def test_an_unknown_type_or_a_bad_name_is_refused():
    with pytest.raises(ImproperlyConfigured, match="No full-text document type 'nope'"):
        search("nope", "x")
    with pytest.raises(ImproperlyConfigured, match="1 to 40 lower-case"):
        register_document_type("Bad Name")
    with pytest.raises(ImproperlyConfigured, match="no to_document"):
        register_document_type("test_x", model=Organization)


def test_a_registered_model_is_indexed_on_save_and_removed_on_delete():
    register_document_type(
        "test_org",
        model=Organization,
        to_document=lambda org: Document(org.pk, org.name) if org.name != "hidden" else None,
        queryset=lambda: Organization.objects.all(),
    )
    try:
        org = Organization.current()
        org.name = "Hemlock Diagnostics"
        org.save()
        assert ids(search("test_org", "hemlock")) == [org.pk]
        org.name = "hidden"
        org.save()
        assert search("test_org", "hidden") == []
        org.name = "Juniper Labs"
        org.save()
        FullTextDocument.objects.filter(doc_type="test_org").delete()
        assert fulltext.reindex("test_org") == 1
        assert ids(search("test_org", "juniper")) == [org.pk]
        org.delete()
        assert search("test_org", "juniper") == []
    finally:
        fulltext.unregister_document_type("test_org")


def test_the_index_is_the_engines_own():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'core_fulltext_fts'")
            assert cursor.fetchone() == ("core_fulltext_fts",)
        else:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'core_fulltext_vector'")
            assert "gin" in cursor.fetchone()[0]


def test_indexing_inside_a_transaction_takes_no_savepoint_of_its_own():
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        index_documents(NOTE, [Document(1, "Pricing sheet")])
        remove_documents(OTHER, [2])
    statements = [q["sql"].upper() for q in captured.captured_queries]
    assert statements and not any("SAVEPOINT" in s for s in statements), statements
    assert ids(search(NOTE, "pricing")) == [1]
