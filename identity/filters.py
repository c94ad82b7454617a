"""Query filters for the identity lists (django-filter)."""

import django_filters

from common.filters import StrictFilterSet
from identity.models import CitadelLicence, ClientAccount, KycCredential, Organisation, User
from identity.roles import Role


class OrganisationFilter(StrictFilterSet):
    legal_name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Organisation
        fields = ["kind", "country", "lei", "is_active", "legal_name"]


class UserFilter(StrictFilterSet):
    role = django_filters.ChoiceFilter(
        choices=Role.choices, field_name="role_assignments__role", distinct=True
    )

    class Meta:
        model = User
        fields = ["organisation", "is_active", "role"]


class ClientAccountFilter(StrictFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = ClientAccount
        fields = ["status", "holder_type", "broker", "account_reference", "name"]


class KycCredentialFilter(StrictFilterSet):
    """``status``, ``provider``, ``holder_type``, ``subject`` (the chain account's public
    key), ``expires_before`` / ``expires_after`` (ISO 8601)."""

    subject = django_filters.CharFilter(field_name="subject__public_key", lookup_expr="iexact")
    expires_before = django_filters.IsoDateTimeFilter(field_name="expires_at", lookup_expr="lt")
    expires_after = django_filters.IsoDateTimeFilter(field_name="expires_at", lookup_expr="gte")

    class Meta:
        model = KycCredential
        fields = ["status", "provider", "holder_type", "subject", "expires_before", "expires_after"]


class CitadelLicenceFilter(StrictFilterSet):
    """``status`` (``pending``, ``active``, ``revoking``, ``revoked``, ``failed``)."""

    class Meta:
        model = CitadelLicence
        fields = ["status"]
