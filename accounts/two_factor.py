"""Whether a person has two-factor authentication, in the one sense every rule here uses."""

from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator

# What allauth asks for at login after the password. Recovery codes only stand in for these.
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def has_two_factor(user) -> bool:
    """True when signing in as ``user`` asks for a second factor after the password."""
    return get_adapter().is_mfa_enabled(user, types=SECOND_FACTORS)
