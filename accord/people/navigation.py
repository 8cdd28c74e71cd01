"""The top navigation: which pages each role sees. One list, read by the base template."""

from __future__ import annotations

from dataclasses import dataclass

from accord.people.access import SALES_ROLES
from accord.people.models import Role

MARKETING_DESK = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD})


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    roles: frozenset[str] | None = None  # None: every signed-in person

    def visible_to(self, roles: frozenset[str]) -> bool:
        return self.roles is None or bool(self.roles & roles)


NAV_LINKS: tuple[NavLink, ...] = (
    NavLink("Inbox", "/inbox/", frozenset({Role.SALES_REP, Role.SALES_MANAGER, Role.SALES_HEAD})),
    NavLink("Leads", "/leads/"),
    NavLink("Import", "/leads/import/", MARKETING_DESK),
    NavLink("Duplicates", "/leads/duplicates/", MARKETING_DESK),
    NavLink("Sources", "/sources/", MARKETING_DESK),
    NavLink("Criteria", "/criteria/"),
    NavLink(
        "Routing",
        "/routing/",
        frozenset({Role.ADMIN, Role.SALES_HEAD, Role.SALES_MANAGER, Role.MARKETING_HEAD}),
    ),
    NavLink(
        "Campaigns",
        "/campaigns/",
        frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.EXECUTIVE}),
    ),
    NavLink("Deals", "/deals/", frozenset({*SALES_ROLES, Role.ADMIN, Role.EXECUTIVE, Role.MARKETING_HEAD})),
    NavLink(
        "Scorecards",
        "/scorecards/",
        frozenset({Role.SALES_MANAGER, Role.SALES_HEAD, Role.MARKETING_HEAD, Role.EXECUTIVE, Role.ADMIN}),
    ),
    NavLink(
        "Rejections",
        "/feedback/rejections/",
        frozenset({Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.EXECUTIVE, Role.ADMIN}),
    ),
    NavLink(
        "Dashboards",
        "/dashboards/",
        frozenset(
            {
                Role.MARKETING,
                Role.MARKETING_HEAD,
                Role.SALES_MANAGER,
                Role.SALES_HEAD,
                Role.EXECUTIVE,
                Role.ADMIN,
            }
        ),
    ),
    NavLink("Glossary", "/glossary/"),
    NavLink("Audit", "/audit/", frozenset({Role.ADMIN, Role.MARKETING_HEAD, Role.SALES_HEAD})),
    NavLink("Webhooks", "/webhooks/", frozenset({Role.ADMIN})),
    NavLink("Privacy", "/privacy/", frozenset({Role.ADMIN})),
    NavLink("Admin", "/admin/", frozenset({Role.ADMIN})),
)


# Apps above people add their own pages in their AppConfig.ready, after the link they belong beside:
# ``register_nav_link(NavLink("Plans", "/planning/", ...), after="Campaigns")``.
_registered: list[tuple[NavLink, str | None]] = []


def register_nav_link(link: NavLink, *, after: str | None = None) -> NavLink:
    """Show ``link`` in the top navigation, after the link labelled ``after`` (else before Glossary)."""
    global _registered
    _registered = [(known, where) for known, where in _registered if known.label != link.label]
    _registered.append((link, after))
    return link


def all_nav_links() -> list[NavLink]:
    links = list(NAV_LINKS)
    for link, after in _registered:
        labels = [known.label for known in links]
        anchor = after if after in labels else "Glossary"
        links.insert(labels.index(anchor) + (1 if after in labels else 0), link)
    return links


def nav_for(roles: frozenset[str], path: str) -> list[dict[str, object]]:
    """The links ``roles`` may see; the one whose URL is the longest prefix of ``path`` is active."""
    visible = [link for link in all_nav_links() if link.visible_to(roles)]
    matches = [link for link in visible if path.startswith(link.url)]
    active = max(matches, key=lambda link: len(link.url)) if matches else None
    return [{"label": link.label, "url": link.url, "active": link is active} for link in visible]
