"""An API request needs no audit plumbing of its own: the request middleware binds the
request id, IP and user agent, and the service passes the API key as the actor. A minimal
viewset written the way every API write is (``actor=self.request.auth``) proves it."""

import pytest
from django.urls import include, path
from rest_framework import status
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from audit.models import ActorType, AuditEntry
from audit.services import record
from organizations.api.viewsets import TenantViewSet
from organizations.permissions import ApiKeyScope, Capability
from organizations.tenancy import organization_scope
from tests.organizations.factories import make_api_key


class RecordingViewSet(TenantViewSet):
    model = AuditEntry
    required_capabilities = {"create": Capability.BILLING_WRITE}

    def create(self, request):
        entry = record(
            organization=self.organization, actor=request.auth, action="test.api_write", target=self.organization
        )
        return Response({"id": str(entry.pk)}, status=status.HTTP_201_CREATED)


router = SimpleRouter()
router.register("recording", RecordingViewSet, basename="recording")
urlpatterns = [path("api/v1/", include(router.urls))]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def post(client, raw_key, **headers):
    return client.post(
        "/api/v1/recording/",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
        **headers,
    )


def test_api_request_records_the_key_as_actor_with_ip_user_agent_and_request_id(client, org):
    api_key, raw = make_api_key(org, name="deploy bot")

    response = post(
        client, raw, REMOTE_ADDR="192.0.2.44", HTTP_USER_AGENT="billora-cli/1.0", HTTP_X_REQUEST_ID="api-req-77"
    )

    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == "api-req-77"
    with organization_scope(org):
        [entry] = AuditEntry.objects.filter(organization=org)
    assert str(entry.pk) == response.json()["id"]
    assert entry.actor_type == ActorType.API_KEY
    assert (entry.actor_api_key_id, entry.actor_user_id, entry.actor_label) == (api_key.pk, None, api_key.label)
    assert (entry.ip, entry.user_agent, entry.request_id) == ("192.0.2.44", "billora-cli/1.0", "api-req-77")
    assert (entry.target_type, entry.target_id) == ("organization", str(org.pk))


def test_a_generated_request_id_is_recorded_when_the_client_sends_none(client, org):
    _, raw = make_api_key(org)

    response = post(client, raw)

    with organization_scope(org):
        [entry] = AuditEntry.objects.filter(organization=org)
    assert entry.request_id == response["X-Request-ID"] != ""


def test_a_refused_api_request_records_nothing(client, org):
    _, raw = make_api_key(org, scope=ApiKeyScope.READ_ONLY)

    assert post(client, raw).status_code == 403
    assert post(client, "bil_00000000_wrong").status_code == 401
    with organization_scope(org):
        assert not AuditEntry.objects.filter(organization=org).exists()
