from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Identity: organisations, users, roles"

    def ready(self) -> None:
        from identity import kyc_services
        from identity.outbox import register_outcome_handler

        for kind, handler in kyc_services.OUTCOME_HANDLERS.items():
            register_outcome_handler(kind, handler)
