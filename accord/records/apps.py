from django.apps import AppConfig


class RecordsConfig(AppConfig):
    """Working with records across apps: bulk actions on the lead list, saved views, accounts pages
    and the global search in the top bar."""

    name = "accord.records"
    label = "records"
    verbose_name = "Records"

    def ready(self) -> None:
        # Imported here: these modules need the app registry ready (models).
        from accord.leads.registry import register_lead_list_extension
        from accord.people.models import Role
        from accord.people.navigation import NavLink, register_nav_link
        from accord.records.selectors import register_search_documents
        from accord.records.views import lead_bulk_context

        register_lead_list_extension(lead_bulk_context)
        register_search_documents()
        register_nav_link(
            NavLink(
                "Accounts",
                "/accounts/",
                frozenset(
                    {
                        Role.ADMIN,
                        Role.MARKETING,
                        Role.MARKETING_HEAD,
                        Role.SALES_REP,
                        Role.SALES_MANAGER,
                        Role.SALES_HEAD,
                        Role.EXECUTIVE,
                    }
                ),
            ),
            after="Leads",
        )
