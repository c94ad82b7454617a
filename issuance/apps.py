from django.apps import AppConfig


class IssuanceConfig(AppConfig):
    name = "issuance"

    def ready(self) -> None:
        from identity.hooks import register_security_tokens
        from issuance import allocation, deployment, register
        from issuance.selectors import instrument_contract_ids, instrument_security_tokens
        from ledger.indexer import register_token_source
        from ledger.outbox import register_outcome_handler

        register_outcome_handler(deployment.DEPLOY_KIND, deployment.on_instrument_deployed)
        register_outcome_handler(register.CHECKPOINT_KIND, register.on_checkpoint)
        for kind, handler in allocation.OUTCOME_HANDLERS.items():
            register_outcome_handler(kind, handler)
        register_token_source("issuance.instruments", instrument_contract_ids)
        register_security_tokens(instrument_security_tokens)
