"""Web pages for team members: dashboard, customers, invoices, payments, businesses.

Thin by design: views read through ``billing.selectors`` and write through
``billing.services``; the tenancy middleware has already resolved the organization and
opened its scope, and every lookup still filters by it explicitly.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views.generic import TemplateView

from billing.models import Business, Customer, Invoice
from organizations.permissions import Capability, has_capability


class OrganizationViewMixin:
    """Pages under /o/<slug>/: the member must hold ``required_capability`` (else 403)."""

    required_capability = Capability.READ

    def dispatch(self, request, *args, **kwargs):
        self.organization = getattr(request, "organization", None)
        if self.organization is None:
            raise Http404("No such organization.")
        if not has_capability(request.membership, self.required_capability):
            raise PermissionDenied("Your role does not allow this.")
        return super().dispatch(request, *args, **kwargs)


class DashboardView(OrganizationViewMixin, TemplateView):
    template_name = "billing/dashboard.html"

    def get_context_data(self, **kwargs):
        org = self.organization
        context = super().get_context_data(**kwargs)
        context["has_business"] = Business.objects.filter(organization=org).exists()
        context["has_customer"] = Customer.objects.filter(organization=org).exists()
        context["has_invoice"] = Invoice.objects.filter(organization=org).exists()
        return context
