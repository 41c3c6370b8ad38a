from django.core.paginator import Paginator
from django.views.generic import TemplateView

from audit import selectors
from audit.forms import ActivityFilterForm
from audit.presenters import target_text
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
        page = Paginator(entries, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context["page_obj"] = page
        if filters.get("target_id") and page.object_list:
            newest = page[0]  # the page keeps its entries as a list: no second query
            context["object_text"] = target_text(newest.target_type, newest.target_label)
        context["filters"] = form
        context["is_filtered"] = bool(filters)
        return context
