from django.apps import AppConfig


class IssuanceConfig(AppConfig):
    name = "issuance"

    def ready(self) -> None:
        from identity.outbox import register_outcome_handler
        from issuance import allocation, deployment, register

        register_outcome_handler(deployment.DEPLOY_KIND, deployment.on_instrument_deployed)
        register_outcome_handler(register.CHECKPOINT_KIND, register.on_checkpoint)
        for kind, handler in allocation.OUTCOME_HANDLERS.items():
            register_outcome_handler(kind, handler)
