from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "accord.leads"
    label = "leads"
    verbose_name = "Leads"
