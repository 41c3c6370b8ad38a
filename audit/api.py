"""``/api/v1/audit-events/``: the organization's audit log, read only, newest first."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers

from audit.models import ActorType, AuditEntry
from billora.api.viewsets import ApiViewSet, QueryFilterBackend


class ActorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ActorType.choices)
    id = serializers.CharField(allow_null=True, help_text="The user's or API key's id; null for the system.")
    label = serializers.CharField()


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

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

    @extend_schema_field(ActorSerializer)
    def get_actor(self, entry):
        actor_id = entry.actor_user_id or entry.actor_api_key_id
        return {"type": entry.actor_type, "id": str(actor_id) if actor_id else None, "label": entry.actor_label}


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
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    model = AuditEntry
    serializer_class = AuditEventSerializer
    http_method_names = ["get"]
    filter_backends = [QueryFilterBackend]
    filterset_class = AuditEventFilter

    def base_queryset(self):
        # The chain's sequence orders entries exactly as they were appended.
        return AuditEntry.objects.order_by("-sequence")
