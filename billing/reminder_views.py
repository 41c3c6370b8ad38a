"""Payment reminder pages: a business's schedule (with a preview of each step's email), and
the opt-out switches of a customer and of an invoice. Thin: every write is one service call."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from billing import hooks, selectors, services
from billing.exceptions import BillingValidationError
from billing.forms import ReminderScheduleForm
from billing.models import Business, Customer, Invoice
from organizations.mixins import OrganizationViewMixin
from organizations.permissions import Capability


class BusinessRemindersView(OrganizationViewMixin, View):
    required_capabilities = {"POST": Capability.BUSINESSES_MANAGE}
    template_name = "billing/business_reminders.html"

    def get_business(self):
        return get_object_or_404(Business, organization=self.organization, pk=self.kwargs["business_id"])

    def get(self, request, *args, **kwargs):
        business = self.get_business()
        steps = selectors.reminder_steps(organization=self.organization, business_id=business.pk)
        return self.render(ReminderScheduleForm(initial=ReminderScheduleForm.initial_for(steps)), business, steps)

    def post(self, request, *args, **kwargs):
        business = self.get_business()
        form = ReminderScheduleForm(request.POST)
        if form.is_valid():
            steps, rows = form.steps()
            try:
                services.reminder_schedule_set(
                    organization=self.organization, actor=request.user, business_id=business.pk, steps=steps
                )
            except BillingValidationError as exc:
                form.add_step_errors(exc, rows)
            else:
                messages.success(request, _("Reminders of “%(name)s” saved.") % {"name": business.name})
                return redirect(request.path)
        steps = selectors.reminder_steps(organization=self.organization, business_id=business.pk)
        return self.render(form, business, steps, status=400)

    def render(self, form, business, steps, status=200):
        previews = [
            (step, hooks.preview_reminder(organization=self.organization, business=business, step=step))
            for step in steps
        ]
        context = {
            "form": form,
            "business": business,
            "previews": previews,
            "can_edit": self.has_capability(Capability.BUSINESSES_MANAGE),
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)


class _RemindersSwitchView(OrganizationViewMixin, View):
    """POST ``enabled=1`` or ``enabled=0``; back to the object's page."""

    required_capability = Capability.BILLING_WRITE

    def enabled(self) -> bool:
        return self.request.POST.get("enabled") == "1"


class InvoiceRemindersView(_RemindersSwitchView):
    def post(self, request, org_slug, invoice_id):
        invoice = get_object_or_404(Invoice, organization=self.organization, pk=invoice_id)
        services.invoice_set_reminders(
            organization=self.organization, actor=request.user, invoice_id=invoice.pk, enabled=self.enabled()
        )
        messages.success(
            request, _("Payment reminders turned on.") if self.enabled() else _("Payment reminders turned off.")
        )
        return redirect(reverse("invoice_detail", kwargs={"org_slug": org_slug, "invoice_id": invoice.pk}))


class CustomerRemindersView(_RemindersSwitchView):
    def post(self, request, org_slug, customer_id):
        customer = get_object_or_404(Customer, organization=self.organization, pk=customer_id)
        services.customer_update(
            organization=self.organization,
            actor=request.user,
            customer_id=customer.pk,
            data={"reminders_enabled": self.enabled()},
        )
        messages.success(
            request, _("Payment reminders turned on.") if self.enabled() else _("Payment reminders turned off.")
        )
        return redirect(reverse("customer_detail", kwargs={"org_slug": org_slug, "customer_id": customer.pk}))
