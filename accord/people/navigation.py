"""The top navigation: which pages each role sees, grouped into a few menus so the bar fits a laptop and
folds into one "Menu" button on a phone. One list, read by the base template; and each role's start page."""

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
    menu: str = ""  # the menu it sits in ("" for its place in GROUPS, or the bar itself)

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


# The menus of the top bar, in order. Links not named here sit on the bar itself (Inbox, Leads, Deals,
# Dashboards...), except links other apps register: those join the menu of the link they follow, else
# "More". A menu one person sees a single link of is shown as that link.
GROUPS: dict[str, str] = {
    "Import": "Marketing",
    "Duplicates": "Marketing",
    "Sources": "Marketing",
    "Campaigns": "Marketing",
    "Rejections": "Marketing",
    "Routing": "Sales",
    "Queues": "Sales",
    "Scorecards": "Sales",
    "Criteria": "More",
    "Glossary": "More",
    "Planning": "More",
    "Plans": "More",
    "Teams": "Sales",
    "Library": "More",
    "Intelligence": "More",
    "Knowledge": "More",
    "Answers": "More",
    "Collaboration": "More",
    "Pipeline": "Sales",
    "Audit": "Admin",
    "Webhooks": "Admin",
    "Privacy": "Admin",
    "Admin": "Admin",
}
MENU_ORDER = ("Marketing", "Sales", "More", "Admin")

# Where each role starts after signing in, the first role a person holds in this order deciding.
START_PAGES: tuple[tuple[str, str], ...] = (
    (Role.SALES_REP, "/inbox/"),
    (Role.SALES_MANAGER, "/team/"),
    (Role.SALES_HEAD, "/decisions/"),
    (Role.MARKETING_HEAD, "/decisions/"),
    (Role.MARKETING, "/desk/"),
    (Role.EXECUTIVE, "/dashboards/executive/"),
    (Role.ADMIN, "/decisions/"),
)
DEFAULT_START_PAGE = "/leads/"


def start_page_for(roles: frozenset[str]) -> str:
    """The page a person with ``roles`` lands on: the one of their first role in START_PAGES."""
    return next((url for role, url in START_PAGES if role in roles), DEFAULT_START_PAGE)


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


def _menu_of(link: NavLink, registered: dict[str, str | None]) -> str:
    if link.menu:
        return link.menu
    if link.label in GROUPS:
        return GROUPS[link.label]
    if link.label in registered:  # another app's link: beside the link it follows, else under More
        after = registered[link.label] or ""
        if after in GROUPS:
            return GROUPS[after]
        # after a link of the bar itself (Leads, Deals...), it sits on the bar too
        return "" if any(known.label == after for known in all_nav_links()) else "More"
    return ""


def nav_menus_for(roles: frozenset[str], path: str) -> list[dict[str, object]]:
    """The top bar for ``roles``: links on the bar first, then the menus (label, links, active).
    Every link ``nav_for`` gives appears exactly once."""
    links = nav_for(roles, path)
    registered = {link.label: after for link, after in _registered}
    known = {link.label: link for link in all_nav_links()}
    bar: list[dict[str, object]] = []
    menus: dict[str, list[dict[str, object]]] = {}
    for item in links:
        menu = _menu_of(known[str(item["label"])], registered)
        if menu:
            menus.setdefault(menu, []).append(item)
        else:
            bar.append(item)
    order = [*MENU_ORDER, *sorted(set(menus) - set(MENU_ORDER))]
    for name in order:
        items = menus.get(name)
        if not items:
            continue
        if len(items) == 1:
            bar.append(items[0])
        else:
            bar.append({"label": name, "links": items, "active": any(i["active"] for i in items)})
    return bar


def nav_for(roles: frozenset[str], path: str) -> list[dict[str, object]]:
    """The links ``roles`` may see; the one whose URL is the longest prefix of ``path`` is active."""
    visible = [link for link in all_nav_links() if link.visible_to(roles)]
    matches = [link for link in visible if path.startswith(link.url)]
    active = max(matches, key=lambda link: len(link.url)) if matches else None
    return [{"label": link.label, "url": link.url, "active": link is active} for link in visible]
