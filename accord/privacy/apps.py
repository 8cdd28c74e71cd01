from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "accord.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # Campaign sending asks privacy, through its registry, whether and how a lead may be emailed.
        from accord.campaigns.sending import register_privacy_checks
        from accord.privacy.selectors import marketing_refusal, unsubscribe_headers

        register_privacy_checks(refusal=marketing_refusal, unsubscribe_headers=unsubscribe_headers)
