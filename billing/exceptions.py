"""The errors billing services raise; the API and the web views translate them.

* ``BillingValidationError``: bad input, tied to fields in DRF's shape (API: 400).
* ``StateConflict``: the action is not allowed in the object's current state (API: 409).
* ``NotFound``: the target id does not exist in the organization (API and web: 404). An id
  from another organization raises exactly the same error as a missing one.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404


class BillingValidationError(Exception):
    """errors: DRF-shaped dict, e.g. {"amount": ["..."]} or {"items": [{}, {"quantity": ["..."]}]}"""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors

    @property
    def billing_errors(self) -> dict:
        # The name the API exception handler looks for (it does not import the apps).
        return self.errors


class StateConflict(Exception):  # noqa: N818 (name agreed in the billing interface)
    """The action is not allowed in the object's current state (API -> 409 {"detail": message})."""

    def __init__(self, message):
        super().__init__(message)
        self.conflict_message = message  # billora/api/exceptions.py reads this attribute


class NotFound(Http404, ObjectDoesNotExist):
    """The target of a service call is not in the organization.

    A subclass of ``Http404`` so Django views and DRF both answer 404 without extra mapping,
    and of ``ObjectDoesNotExist`` so callers may catch it like ``Model.DoesNotExist``."""
