from django.core.paginator import Paginator
from django.views.generic import TemplateView

from audit import selectors
from audit.forms import ActivityFilterForm
from organizations.mixins import OrganizationViewMixin
from organizations.permissions import Capability

PAGE_SIZE = 50


class ActivityView(OrganizationViewMixin, TemplateView):
    """The organization's audit log, newest first; every role may read it."""

    required_capability = Capability.READ
    template_name = "audit/activity.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        options = selectors.filter_options(organization=self.organization)
        form = ActivityFilterForm(self.request.GET, options=options)
        filters = form.filters()
        entries = selectors.entry_list(organization=self.organization, **filters)
        # One COUNT and one page query whatever the page; a bad ?page= shows page 1 or the last.
        context["page_obj"] = Paginator(entries, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context["filters"] = form
        context["is_filtered"] = bool(filters)
        return context
