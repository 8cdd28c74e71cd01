from datetime import time, timedelta

from django.apps import AppConfig

CRITERIA_SIGN_OFF_KIND = "criteria_sign_off"


class QualificationConfig(AppConfig):
    name = "accord.qualification"
    label = "qualification"
    verbose_name = "Qualification"

    def ready(self) -> None:
        # Imported here: core.periodic needs the app registry ready (models).
        from accord.core.notify import register_notification_kind
        from accord.core.periodic import Periodic, register_periodic

        register_notification_kind(CRITERIA_SIGN_OFF_KIND, "Criteria waiting for your sign-off")

        register_periodic(
            Periodic(
                "criteria-decay-rescore",
                "accord.qualification.tasks.criteria_rescore_active_task",
                timedelta(days=1),
                time(2, 0),
            )
        )
