from django.apps import AppConfig


class QualificationConfig(AppConfig):
    name = "accord.qualification"
    label = "qualification"
    verbose_name = "Qualification"
