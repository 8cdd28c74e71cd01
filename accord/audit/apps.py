from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "accord.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Change capture is a side concern (as in NetBox): receivers on the registry's models only.
        from accord.audit import capture, checks  # noqa: F401 - checks registers itself

        capture.connect()
