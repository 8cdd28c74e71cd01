from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "accord.routing"
    label = "routing"
    verbose_name = "Routing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import pre_delete

        from accord.leads.registry import LeadPanel, register_lead_panel, register_lead_prefetch
        from accord.people.models import Role
        from accord.people.navigation import NavLink, register_nav_link
        from accord.routing.lead_page import lead_reassign_context
        from accord.routing.receivers import user_pre_delete_reroute
        from accord.routing.selectors import routing_queue_prefetch

        # The lead API names the queue a lead waits in; leads sit below routing and ask through this.
        register_lead_prefetch(routing_queue_prefetch)

        # Managers, the sales head and admins reassign a lead from its page.
        register_lead_panel(LeadPanel("routing/_lead_reassign.html", lead_reassign_context, order=20))
        managers = frozenset({Role.ADMIN, Role.SALES_HEAD, Role.SALES_MANAGER})
        register_nav_link(NavLink("Queues", "/queues/", managers), after="Routing")
        register_nav_link(NavLink("Teams", "/teams/", managers), after="Queues")

        # Deleting a user (admin, shell) bypasses every service and would leave their leads ownerless
        # (Lead.owner is SET_NULL). This one receiver is the safety net that re-routes them first.
        pre_delete.connect(
            user_pre_delete_reroute,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="routing_user_pre_delete_reroute",
        )
