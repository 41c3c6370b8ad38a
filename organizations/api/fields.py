"""Serializer fields that look related objects up inside the request's organization."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from organizations.tenancy import current_organization

NOT_FOUND_MESSAGE = "No such object in this organization: “{pk_value}”."


class TenantPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """``customer = TenantPrimaryKeyRelatedField(Customer)``. The queryset is built per request,
    inside the scope, filtered by the key's organization explicitly. An unknown id, a
    malformed id and another organization's id all get the same 400 message on the field."""

    default_error_messages = {
        "does_not_exist": NOT_FOUND_MESSAGE,
        "incorrect_type": NOT_FOUND_MESSAGE,
    }

    def __init__(self, model=None, *, limit=None, **kwargs):
        self.tenant_model = model
        self.limit = limit  # optional callable(queryset) -> queryset
        super().__init__(**kwargs)

    def _organization(self):
        view = self.context.get("view")
        organization = getattr(view, "organization", None)
        if organization is None:
            request = self.context.get("request")
            api_key = getattr(request, "auth", None)
            organization = getattr(api_key, "organization", None)
        return organization or current_organization()

    def get_queryset(self):
        organization = self._organization()
        if organization is None or self.tenant_model is None:
            # No organization known (e.g. schema generation): nothing is a valid choice.
            return self.tenant_model._base_manager.none() if self.tenant_model else None
        queryset = self.tenant_model.objects.filter(organization=organization)
        if self.limit is not None:
            queryset = self.limit(queryset)
        return queryset

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int)):
            self.fail("incorrect_type", pk_value=data)
        queryset = self.get_queryset()
        if queryset is None:
            self.fail("does_not_exist", pk_value=data)
        try:
            return queryset.get(pk=data)
        except (queryset.model.DoesNotExist, TypeError, ValueError, DjangoValidationError):
            self.fail("does_not_exist", pk_value=data)
