"""Full-text search over any app's records, one interface over SQLite FTS5 and PostgreSQL full text.

An app registers a *document type* (``register_document_type("answer", model=Answer, to_document=...)``)
in its ``AppConfig.ready()``; its records are then indexed on save and removed on delete, or the app
calls ``index_documents`` / ``remove_documents`` itself (bulk paths, imports). ``search`` returns ranked
hits ``(doc_type, object_id, score, snippet)``; turning ids into records, and deciding who may see
them, stays with the caller: pass the caller's visible records as ``restrict`` and only those come back.

Engines (the migration ``core/0008_fulltext_documents`` makes the index for the engine in use):

- **PostgreSQL**: ``core_fulltextdocument.search_vector``, a stored generated ``tsvector`` (English
  configuration, so words are stemmed and stop words dropped; title weighted A, body B, extra C) with a
  GIN index; ranked by ``ts_rank_cd``; snippets by ``ts_headline`` on the returned rows only.
- **SQLite**: the FTS5 table ``core_fulltext_fts`` (``porter`` tokenizer, prefix indexes for 2 and 3
  characters) over the document table as external content, kept in step by triggers; ranked by ``bm25``
  with the same column weights; snippets by ``snippet()``.

User text never reaches either engine's query syntax: it is cut into words (letters and digits), each
word is quoted (FTS5) or passed as a plain lexeme (``to_tsquery``), and the last word matches as a
prefix unless the text ends in a space, so results appear while typing. ``match="all"`` (the default)
wants every word; ``match="any"`` wants at least one and lets the rank prefer records with more of them
(for questions phrased differently from the stored answer), leaving out common English words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_WORDS = 16
MAX_WORD_LENGTH = 64
MAX_TEXT_LENGTH = 200_000  # per field; a longer text is cut (a document this long is not a record)
# Column weights, title > body > extra, the same on both engines.
FTS5_WEIGHTS = (10.0, 4.0, 1.0)
# Snippet markers: control characters no indexed text can hold (they are stripped on the way in).
MARK_START = "\x02"
MARK_END = "\x03"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_WORD = re.compile(r"[^\W_]+")

# Words too common to help when any word may match (match="any"); PostgreSQL's English configuration
# drops its own list, this keeps FTS5 from ranking "how do I" matches.
STOP_WORDS = frozenset(
    re.split(
        r"\s+",
        """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me
    more most my myself no nor not now of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these they
    this those through to too under until up very was we were what when where which while who whom
    why will with would you your yours yourself yourselves get got us use using
    """.strip(),
    )
)


class Document(NamedTuple):
    """The text of one record: ``id`` is the record's primary key in its own app."""

    id: int
    title: str
    body: str = ""
    extra: str = ""


class Hit(NamedTuple):
    """One search result; a higher ``score`` ranks higher. ``snippet`` marks matches with MARK_START/END."""

    doc_type: str
    object_id: int
    score: float
    snippet: str


@dataclass(frozen=True)
class DocumentType:
    """A kind of record that can be searched, and how one of its records becomes a ``Document``."""

    name: str
    model: type[models.Model] | None = None
    to_document: Callable[[Any], Document | None] | None = None
    queryset: Callable[[], models.QuerySet[Any]] | None = None


_types: dict[str, DocumentType] = {}


def register_document_type(
    name: str,
    *,
    model: type[models.Model] | None = None,
    to_document: Callable[[Any], Document | None] | None = None,
    queryset: Callable[[], models.QuerySet[Any]] | None = None,
    sync_on_save: bool = True,
) -> DocumentType:
    """Declare a searchable type. With ``model`` and ``to_document``, saving a record indexes it
    (``to_document`` returning None removes it, e.g. a hidden record) and deleting it removes it, unless
    ``sync_on_save`` is False (then the app calls ``index_documents`` itself). ``queryset`` feeds
    ``reindex``. Registering a name again replaces the earlier declaration."""
    if not name or len(name) > 40 or not re.fullmatch(r"[a-z0-9_.-]+", name):
        raise ImproperlyConfigured(
            f"A full-text document type is 1 to 40 lower-case letters, digits, '_', '.' or '-', not {name!r}."
        )
    if model is not None and to_document is None:
        raise ImproperlyConfigured(f"Document type '{name}' names a model but no to_document function.")
    doc_type = DocumentType(name=name, model=model, to_document=to_document, queryset=queryset)
    previous = _types.get(name)
    if previous is not None and previous.model is not None:
        post_save.disconnect(sender=previous.model, dispatch_uid=f"fulltext.save.{name}")
        post_delete.disconnect(sender=previous.model, dispatch_uid=f"fulltext.delete.{name}")
    _types[name] = doc_type
    if model is not None and sync_on_save:
        post_save.connect(_on_save(doc_type), sender=model, dispatch_uid=f"fulltext.save.{name}", weak=False)
        post_delete.connect(
            _on_delete(doc_type), sender=model, dispatch_uid=f"fulltext.delete.{name}", weak=False
        )
    return doc_type


def unregister_document_type(name: str) -> None:
    """Forget a type and stop following its model (its rows stay until removed or reindexed)."""
    previous = _types.pop(name, None)
    if previous is not None and previous.model is not None:
        post_save.disconnect(sender=previous.model, dispatch_uid=f"fulltext.save.{name}")
        post_delete.disconnect(sender=previous.model, dispatch_uid=f"fulltext.delete.{name}")


def document_type(name: str) -> DocumentType:
    try:
        return _types[name]
    except KeyError:
        raise ImproperlyConfigured(f"No full-text document type '{name}' is registered.") from None


def document_types() -> list[str]:
    return sorted(_types)


def _on_save(doc_type: DocumentType) -> Callable[..., None]:
    def handler(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
        if raw:  # loaddata: the fixture's own rows, indexed by reindex afterwards
            return
        assert doc_type.to_document is not None
        document = doc_type.to_document(instance)
        if document is None:
            remove_documents(doc_type.name, [instance.pk])
        else:
            index_documents(doc_type.name, [document])

    return handler


def _on_delete(doc_type: DocumentType) -> Callable[..., None]:
    def handler(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
        remove_documents(doc_type.name, [instance.pk])

    return handler


def _clean(text: str | None) -> str:
    return _CONTROL.sub(" ", text or "")[:MAX_TEXT_LENGTH]


def index_documents(
    name: str, documents: Iterable[Document | tuple[Any, ...]], *, batch_size: int = 1000
) -> int:
    """Add or replace the text of these records (one upsert per batch). Returns how many were written."""
    document_type(name)
    sql = (
        "INSERT INTO core_fulltextdocument (doc_type, object_id, title, body, extra, indexed_at) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (doc_type, object_id) DO UPDATE SET "
        "title = excluded.title, body = excluded.body, extra = excluded.extra, indexed_at = excluded.indexed_at"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    written = 0
    batch: list[tuple[Any, ...]] = []
    # No savepoint of its own: inside a caller's transaction (a record's save) a failure here fails
    # that transaction anyway, and the savepoint cost two more statements on every indexed save.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for raw in documents:
            document = raw if isinstance(raw, Document) else Document(*raw)
            batch.append(
                (
                    name,
                    int(document.id),
                    _clean(document.title),
                    _clean(document.body),
                    _clean(document.extra),
                    now,
                )
            )
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def remove_documents(name: str, ids: Iterable[int]) -> int:
    """Take these records out of the index. Returns how many were there."""
    from accord.core.models import FullTextDocument

    document_type(name)
    id_list = [int(i) for i in ids]
    removed = 0
    for start in range(0, len(id_list), 500):
        removed += FullTextDocument.objects.filter(
            doc_type=name, object_id__in=id_list[start : start + 500]
        ).delete()[0]
    return removed


def reindex(name: str, *, batch_size: int = 2000) -> int:
    """Rebuild one type's index from its registered queryset (after an import, or a change of
    ``to_document``). Runs in one transaction: searches see the old index until it commits."""
    from accord.core.models import FullTextDocument

    doc_type = document_type(name)
    if doc_type.queryset is None or doc_type.to_document is None:
        raise ImproperlyConfigured(f"Document type '{name}' has no queryset and to_document to rebuild from.")
    to_document = doc_type.to_document
    with transaction.atomic():
        FullTextDocument.objects.filter(doc_type=name).delete()
        documents = (to_document(record) for record in doc_type.queryset().iterator(chunk_size=batch_size))
        return index_documents(name, (d for d in documents if d is not None), batch_size=batch_size)


# --- queries -------------------------------------------------------------------------------------


class ParsedQuery(NamedTuple):
    words: list[str]
    prefix_last: bool


def parse_query(text: str, *, match: Literal["all", "any"] = "all") -> ParsedQuery:
    """Cut user text into plain words; no character of it is ever read as query syntax."""
    text = (text or "")[:2000]
    words = [w[:MAX_WORD_LENGTH] for w in _WORD.findall(text.lower())]
    if match == "any":
        kept = [w for w in words if w not in STOP_WORDS]
        words = kept or words
    # Drop repeats, keep order; the last word typed stays last (it is the prefix).
    seen: set[str] = set()
    unique: list[str] = []
    for word in reversed(words):
        if word not in seen:
            seen.add(word)
            unique.append(word)
    unique.reverse()
    words = unique[-MAX_WORDS:]
    prefix_last = bool(words) and not text[-1:].isspace() and text.lower().rstrip().endswith(words[-1])
    return ParsedQuery(words, prefix_last)


def fts5_query(parsed: ParsedQuery, match: Literal["all", "any"]) -> str:
    terms = [f'"{w}"' for w in parsed.words]
    if parsed.prefix_last and terms:
        terms[-1] = terms[-1] + "*"
    return (" OR " if match == "any" else " ").join(terms)


def tsquery_text(parsed: ParsedQuery, match: Literal["all", "any"]) -> str:
    terms = list(parsed.words)
    if parsed.prefix_last and terms:
        terms[-1] = terms[-1] + ":*"
    return (" | " if match == "any" else " & ").join(terms)


Restriction = Mapping[str, "models.QuerySet[Any] | Iterable[int]"]


def _type_filters(names: Sequence[str], restrict: Restriction | None) -> tuple[str, list[Any]]:
    """SQL for "of these types, and within each restricted type only these ids"."""
    clauses: list[str] = []
    params: list[Any] = []
    for name in names:
        allowed = (restrict or {}).get(name)
        if allowed is None:
            clauses.append("d.doc_type = %s")
            params.append(name)
        elif isinstance(allowed, models.QuerySet):
            # A subquery, so a restriction to a million visible rows never travels through Python.
            sub_sql, sub_params = allowed.values("pk").query.sql_with_params()
            clauses.append(f"(d.doc_type = %s AND d.object_id IN ({sub_sql}))")
            params.extend([name, *sub_params])
        else:
            ids = [int(i) for i in allowed]
            if not ids:
                continue
            clauses.append(f"(d.doc_type = %s AND d.object_id IN ({', '.join(['%s'] * len(ids))}))")
            params.extend([name, *ids])
    if not clauses:
        return "", []
    return "(" + " OR ".join(clauses) + ")", params


def search(
    names: str | Sequence[str],
    query: str,
    *,
    limit: int = 20,
    restrict: Restriction | None = None,
    match: Literal["all", "any"] = "all",
) -> list[Hit]:
    """The records of these types best matching ``query``, best first, at most ``limit``.

    ``restrict`` maps a type to the ids (or a queryset of records) the caller may show; a type not in
    it is searched whole. Text with no words gives no hits, never an error.
    """
    type_names = [names] if isinstance(names, str) else list(names)
    for name in type_names:
        document_type(name)
    limit = max(1, min(int(limit), 200))
    parsed = parse_query(query, match=match)
    if not parsed.words or not type_names:
        return []
    where, params = _type_filters(type_names, restrict)
    if not where:
        return []
    if connection.vendor == "postgresql":
        return _search_postgresql(parsed, match, where, params, limit)
    if connection.vendor == "sqlite":
        return _search_sqlite(parsed, match, where, params, limit)
    raise ImproperlyConfigured(f"Full-text search supports SQLite and PostgreSQL, not {connection.vendor}.")


def _search_sqlite(
    parsed: ParsedQuery, match: Literal["all", "any"], where: str, params: list[Any], limit: int
) -> list[Hit]:
    weights = ", ".join(str(w) for w in FTS5_WEIGHTS)
    fts_query = fts5_query(parsed, match)
    # Ranked first without snippets: SQLite computes a result column for every row it sorts, and a
    # snippet re-reads the text; snippets are then made for the returned rows only.
    ranking = (
        f"SELECT core_fulltext_fts.rowid, d.doc_type, d.object_id, bm25(core_fulltext_fts, {weights}) AS rank "
        "FROM core_fulltext_fts JOIN core_fulltextdocument d ON d.id = core_fulltext_fts.rowid "
        f"WHERE core_fulltext_fts MATCH %s AND {where} ORDER BY rank LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(ranking, [fts_query, *params, limit])
        ranked = cursor.fetchall()
        snippets: dict[int, str] = {}
        if ranked:
            marks = ", ".join(["%s"] * len(ranked))
            cursor.execute(
                "SELECT rowid, snippet(core_fulltext_fts, -1, char(2), char(3), '…', 16) FROM core_fulltext_fts "
                f"WHERE core_fulltext_fts MATCH %s AND rowid IN ({marks})",
                [fts_query, *(row[0] for row in ranked)],
            )
            snippets = dict(cursor.fetchall())
    # bm25 is lower-is-better and negative; turn it round so a higher score ranks higher on both engines.
    return [
        Hit(doc_type, int(object_id), -float(rank), snippets.get(rowid) or "")
        for rowid, doc_type, object_id, rank in ranked
    ]


def _search_postgresql(
    parsed: ParsedQuery, match: Literal["all", "any"], where: str, params: list[Any], limit: int
) -> list[Hit]:
    # ts_headline reads the whole text, so it runs on the returned rows only (the outer query).
    sql = (
        "WITH q AS (SELECT to_tsquery('english'::regconfig, %s) AS query), "
        "hits AS (SELECT d.doc_type, d.object_id, d.title, d.body, "
        "ts_rank_cd(d.search_vector, q.query, 1) AS score "
        f"FROM core_fulltextdocument d, q WHERE d.search_vector @@ q.query AND {where} "
        "ORDER BY score DESC, d.id LIMIT %s) "
        "SELECT hits.doc_type, hits.object_id, hits.score, "
        "ts_headline('english'::regconfig, CASE WHEN hits.body <> '' THEN hits.body ELSE hits.title END, "
        "q.query, 'StartSel=\"' || chr(2) || '\", StopSel=\"' || chr(3) || '\", MaxWords=24, MinWords=10') "
        "FROM hits, q ORDER BY hits.score DESC, hits.object_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [tsquery_text(parsed, match), *params, limit])
        rows = cursor.fetchall()
    return [
        Hit(doc_type, int(object_id), float(score), snippet or "")
        for doc_type, object_id, score, snippet in rows
    ]


def snippet_html(snippet: str) -> SafeString:
    """A snippet for a page: its text escaped, its matches in ``<mark>``."""
    return mark_safe(escape(snippet).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def snippet_text(snippet: str) -> str:
    """A snippet for JSON or plain text: the markers taken out."""
    return snippet.replace(MARK_START, "").replace(MARK_END, "")
