"""Forms of the organizations app, and the scope-safe model choice field every app's forms use."""

import zoneinfo

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization, currency_code_validators, validate_time_zone
from organizations.permissions import ApiKeyScope, Role
from organizations.tenancy import current_organization


class _LazyChoiceIterator(ModelChoiceIterator):
    """Django's iterator grabs ``field.queryset`` when created (at form instantiation); this
    one reads it only when the choices are actually iterated, inside the scope."""

    def __init__(self, field):
        self.field = field

    @property
    def queryset(self):
        return self.field.queryset


class _TenantQuerysetMixin:
    """The queryset is built when it is used (inside the request's scope), never at import or
    at form-class creation, and is always filtered by the organization explicitly: an id from
    another organization is "not one of the available choices", exactly like an unknown id.

    The organization comes from ``bind(organization)`` (``TenantFormMixin`` does it) or else
    from the open tenant scope. The choices are always that organization's rows, narrowed by
    ``limit`` and ``limit_choices_to``; a queryset assigned to the field is not used."""

    iterator = _LazyChoiceIterator

    def __init__(self, model, *, limit=None, **kwargs):
        self.tenant_model = model
        self.limit = limit  # optional callable(queryset) -> queryset, e.g. only active rows
        self.bound_organization = None
        super().__init__(queryset=None, **kwargs)

    def bind(self, organization):
        self.bound_organization = organization

    @property
    def queryset(self):
        organization = self.bound_organization or current_organization()
        if organization is None:
            # Unbound and outside any scope: Django copies the form's fields (reading this)
            # when a form is created, which may be at import. Nothing is offered or accepted.
            return self.tenant_model._base_manager.none()
        queryset = self.tenant_model.objects.filter(organization=organization)
        limit_choices_to = self.get_limit_choices_to()
        if limit_choices_to:
            queryset = queryset.complex_filter(limit_choices_to)
        if self.limit is not None:
            queryset = self.limit(queryset)
        return queryset

    @queryset.setter
    def queryset(self, _queryset):
        # Django assigns one when the field is created and copied; the choices stay the
        # organization's, read lazily (never evaluate anything here: this may run unscoped).
        self.widget.choices = self.choices


class TenantModelChoiceField(_TenantQuerysetMixin, forms.ModelChoiceField):
    """``customer = TenantModelChoiceField(Customer)``: choices and lookups stay inside the
    organization, the queryset is evaluated lazily inside the request scope."""


class TenantModelMultipleChoiceField(_TenantQuerysetMixin, forms.ModelMultipleChoiceField):
    pass


class TenantFormMixin:
    """``Form(data, organization=org)``: binds every tenant choice field to that organization."""

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        for field in self.fields.values():
            if isinstance(field, _TenantQuerysetMixin):
                field.bind(organization)


# --- The organizations app's own forms ------------------------------------------------------

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz or tz == "UTC")


class CurrencyCodeField(forms.CharField):
    """An ISO 4217 code; "eur" is accepted as "EUR" before the validators run."""

    default_validators = currency_code_validators

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("help_text", "ISO 4217 code, e.g. EUR, USD, JPY.")
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).upper()


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(max_length=200, strip=True, label=_("Name"))
    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES, initial="UTC", validators=[validate_time_zone], label=_("Time zone")
    )
    default_currency = CurrencyCodeField(initial="EUR", label=_("Default currency"))


class OrganizationSettingsForm(OrganizationCreateForm):
    """Renaming and the two-factor requirement are for owners only; admins see them disabled."""

    require_two_factor = forms.BooleanField(
        required=False,
        label=_("Require two-factor authentication for every member"),
        help_text=_(
            "Members without it are asked to set up an authenticator app before they can open "
            "anything in this organization. API keys are not affected."
        ),
    )

    def __init__(self, *args, organization: Organization, is_owner: bool, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": organization.name,
                "time_zone": organization.time_zone,
                "default_currency": organization.default_currency,
                "require_two_factor": organization.require_two_factor,
            },
        )
        super().__init__(*args, **kwargs)
        if not is_owner:
            self.fields["name"].disabled = True
            self.fields["name"].help_text = _("Only an owner can rename the organization.")
            self.fields["require_two_factor"].disabled = True
            self.fields["require_two_factor"].help_text = _("Only an owner can change this.")


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254, label=_("Email"))
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER, label=_("Role"))

    def __init__(self, *args, can_invite_owners: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_invite_owners:
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.OWNER]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label=_("Role"))


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100, strip=True, label=_("Name"), help_text=_("Where the key is used, e.g. “accounting sync”.")
    )
    scope = forms.ChoiceField(
        choices=ApiKeyScope.choices, initial=ApiKeyScope.READ_ONLY, widget=forms.RadioSelect, label=_("Scope")
    )
