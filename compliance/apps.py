from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"

    def ready(self) -> None:
        from compliance import audit, breaches, disclosure, enforcement, rulesets
        from identity.hooks import register_regulator_audit_exclusion
        from identity.signals import kyc_claims_lapsed
        from ledger.outbox import register_outcome_handler

        audit.register_handlers()
        disclosure.register_handlers()
        register_regulator_audit_exclusion(disclosure.audit_entries_without_other_regulators_disclosures)
        for kind, handler in {**rulesets.OUTCOME_HANDLERS, **enforcement.OUTCOME_HANDLERS}.items():
            register_outcome_handler(kind, handler)
        kyc_claims_lapsed.connect(
            breaches.on_kyc_claims_lapsed, dispatch_uid="compliance.breaches.claims_lapsed"
        )
