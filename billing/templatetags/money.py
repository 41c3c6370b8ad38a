"""``{% load money %}``: the formatting filters under the name the billing pages load them by
(``billora.templatetags.formatting`` defines them)."""

from billora.templatetags.formatting import register

__all__ = ["register"]
