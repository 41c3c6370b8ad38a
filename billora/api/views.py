"""Small API views that belong to no app."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class PingView(APIView):
    """A trivial authenticated endpoint: the baseline of the API benchmark (bench/) and a
    cheap way for a script to check its key. Same authentication, permission and throttle
    as every other endpoint; no database query beyond the key lookup."""

    http_method_names = ["get"]

    @extend_schema(
        summary="Check the API key",
        responses={200: inline_serializer("Ping", {"status": serializers.CharField(help_text='Always "ok".')})},
    )
    def get(self, request):
        return Response({"status": "ok"})
