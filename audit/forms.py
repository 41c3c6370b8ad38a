from django import forms
from django.utils.translation import gettext_lazy as _

from audit.presenters import action_label, target_type_label


class ActivityFilterForm(forms.Form):
    """The activity page's filters. Choices are what occurs in the organization's log, so an
    unknown value is a clear field error rather than a silently empty page."""

    q = forms.CharField(
        required=False,
        max_length=100,
        label=_("Object"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Invoice number, customer, email…")}),
    )
    action = forms.ChoiceField(required=False, label=_("What"))
    actor = forms.ChoiceField(required=False, label=_("Who"))
    target_type = forms.ChoiceField(required=False, label=_("Object type"))
    # One object's full history (the link under an object's history card); not typed by anyone.
    target_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, data, *, options):
        super().__init__(data)
        everything = [("", _("All"))]
        actions = sorted(((a, action_label(a)) for a in options["actions"]), key=lambda option: option[1])
        self.fields["action"].choices = everything + actions
        self.fields["actor"].choices = [("", _("Anyone")), *options["actors"]]
        self.fields["target_type"].choices = everything + [(t, target_type_label(t)) for t in options["target_types"]]

    def filters(self) -> dict:
        """The valid filters only: an invalid one is shown as an error and ignored."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
