"""The snippet filter for search results: the text escaped, its matches marked."""

from django import template
from django.utils.safestring import SafeString

from accord.core.fulltext import snippet_html as _snippet_html

register = template.Library()


@register.filter
def snippet_html(snippet: str) -> SafeString:
    return _snippet_html(snippet or "")
