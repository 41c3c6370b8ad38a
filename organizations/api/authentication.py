"""``Authorization: Bearer <api key>``: the key fixes the organization of the request."""

import secrets
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from organizations.models import ApiKey
from organizations.tenancy import all_tenants

LAST_USED_RESOLUTION = timedelta(minutes=1)

# Checked in place of a key when no key has the presented prefix: an unknown prefix then costs
# the same hash and comparison as a known one, so the answer time does not tell which prefixes
# exist. Never saved; its hash is a random value of a SHA-256's length, which no key hashes to.
_ABSENT_KEY = ApiKey(prefix="", secret_hash=secrets.token_hex(32))


class ApiKeyPrincipal:
    """What ``request.user`` is for an API request: authenticated, never staff, not a User."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_key):
        self.api_key = api_key

    def __str__(self):
        return self.api_key.label


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: use 'Bearer <api key>'.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid API key.") from None
        api_key = self._lookup(raw)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        self._touch(api_key)
        # DRF sets the returned key as ``auth`` on Django's request too, where the request log
        # line reads it (billora.middleware).
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'

    @staticmethod
    def _lookup(raw):
        prefix = ApiKey.prefix_of(raw)
        if prefix is None:
            return None
        # The prefix is unique across organizations, so this lookup is deliberately unscoped.
        with all_tenants():
            api_key = ApiKey.objects.select_related("organization").filter(prefix=prefix).first()
        # The secret is checked first, whatever the row (or its absence) says: same work either way.
        secret_matches = (api_key or _ABSENT_KEY).matches(raw)
        if api_key is None or not secret_matches or not api_key.is_active:
            return None
        return api_key

    @staticmethod
    def _touch(api_key):
        # At most one write a minute per key, not one per request.
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
            with all_tenants():
                ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An organization API key."}
