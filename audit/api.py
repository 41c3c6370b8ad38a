"""``/api/v1/audit-events/``: the organization's audit log, read only, newest first."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from audit.models import ActorType, AuditEntry
from audit.presenters import present_audit_events
from billora.api.viewsets import ApiViewSet, PresentedMixin, QueryFilterBackend


class ActorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ActorType.choices)
    id = serializers.CharField(allow_null=True, help_text="The user's or API key's id; null for the system.")
    label = serializers.CharField()


class AuditEventSerializer(serializers.ModelSerializer):
    """The schema of an event (written by ``audit.presenters``)."""

    actor = ActorSerializer(read_only=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "action",
            "actor",
            "target_type",
            "target_id",
            "target_label",
            "changes",
            "ip",
            "request_id",
            "created_at",
        ]
        read_only_fields = fields


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter()
    target_type = django_filters.CharFilter()
    target_id = django_filters.CharFilter()

    class Meta:
        model = AuditEntry
        fields = ["action", "target_type", "target_id"]


@extend_schema_view(
    list=extend_schema(summary="List audit events, newest first"),
    retrieve=extend_schema(summary="Get an audit event"),
)
class AuditEventViewSet(PresentedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    model = AuditEntry
    serializer_class = AuditEventSerializer
    http_method_names = ["get"]
    filter_backends = [QueryFilterBackend]
    filterset_class = AuditEventFilter

    def base_queryset(self):
        # The chain's sequence orders entries exactly as they were appended.
        return AuditEntry.objects.order_by("-sequence")

    def present(self, rows):
        return present_audit_events(rows)
