from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Identity: organisations, users, roles"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        from identity import citadel_services, kyc_services
        from identity.authentication import revoke_tokens_of_inactive_user
        from ledger.outbox import register_outcome_handler

        post_save.connect(
            revoke_tokens_of_inactive_user, sender=get_user_model(), dispatch_uid="identity.revoke_api_tokens"
        )

        for kind, handler in {**kyc_services.OUTCOME_HANDLERS, **citadel_services.OUTCOME_HANDLERS}.items():
            register_outcome_handler(kind, handler)

        from identity.selectors import user_sees_all_organisations
        from proving.hooks import register_sees_all_jobs

        register_sees_all_jobs(lambda user: user_sees_all_organisations(user=user))
