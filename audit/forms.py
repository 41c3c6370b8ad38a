from django import forms
from django.utils.translation import gettext_lazy as _


class ActivityFilterForm(forms.Form):
    """The activity page's filters. Choices are what occurs in the organization's log, so an
    unknown value is a clear field error rather than a silently empty page."""

    action = forms.ChoiceField(required=False, label=_("Action"))
    actor = forms.ChoiceField(required=False, label=_("Who"))
    target_type = forms.ChoiceField(required=False, label=_("Object type"))
    target_id = forms.CharField(required=False, max_length=64, label=_("Object id"))

    def __init__(self, data, *, options):
        super().__init__(data)
        everything = [("", _("All"))]
        self.fields["action"].choices = everything + [(a, a) for a in options["actions"]]
        self.fields["actor"].choices = [("", _("Anyone")), *options["actors"]]
        self.fields["target_type"].choices = everything + [(t, t.replace("_", " ")) for t in options["target_types"]]

    def filters(self) -> dict:
        """The valid filters only: an invalid one is shown as an error and ignored."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
