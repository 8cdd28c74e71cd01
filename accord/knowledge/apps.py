from datetime import time, timedelta

from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "accord.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge"

    def ready(self) -> None:
        from accord.core.notify import register_notification_kind
        from accord.core.periodic import Periodic, register_periodic
        from accord.knowledge import search
        from accord.knowledge.views import inbox_ask_panel
        from accord.people.navigation import NavLink, register_nav_link
        from accord.sla.inbox_panels import register_inbox_panel

        search.register()
        register_notification_kind("knowledge_question", "A question to answer, answered, or due for review")
        register_periodic(
            Periodic(
                "knowledge-stale-answers",
                "accord.knowledge.tasks.answers_flag_stale_task",
                timedelta(days=1),
                time(6, 0),
            )
        )
        register_nav_link(NavLink("Answers", "/knowledge/"), after="Intelligence")
        register_inbox_panel("knowledge-ask", inbox_ask_panel)
