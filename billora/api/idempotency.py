"""``Idempotency-Key`` for API POSTs (api.md, Basics).

Within 24 hours, for the same API key, a POST retried with the same key and the same body
gets the original status and body again, byte for byte (header ``Idempotent-Replayed: true``) and nothing is
done twice; the same key with a different body -> 422; while the first request is still
running -> 409.

How concurrent duplicates stay safe: before the view runs, the in-flight row is inserted in
its own committed transaction; the unique constraint (api_key, key) lets exactly one request
win. The winner runs and stores its response; a 5xx or an unhandled exception deletes the row
so a retry can run the request again.
"""

import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.response import Response

from billora.api.exceptions import Conflict, UnprocessableEntity
from organizations.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)


def request_fingerprint(request) -> str:
    """sha256 of method, path and the canonical body (keys sorted, whitespace ignored).

    JSON numbers keep their literal text so ``1.50`` and ``"1.50"`` differ; a body that is
    not JSON is fingerprinted byte for byte."""
    raw = request.body or b""
    try:
        parsed = json.loads(raw, parse_float=lambda text: ["#number", text], parse_int=lambda text: ["#number", text])
        body = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, RecursionError):
        body = b"#raw:" + raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.get_full_path().encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class _Replay(Exception):  # noqa: N818 - control flow, not an error
    def __init__(self, record):
        super().__init__(record.key)
        self.record = record


class IdempotentPostMixin:
    """Put before the tenant viewset base: it needs the API key and the open scope."""

    _idempotency_record = None

    def initial(self, request, *args, **kwargs):
        self._idempotency_record = None
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles, scope
        if request.method == "POST" and HEADER in request.headers:
            self._idempotency_record = self._claim(request, request.headers[HEADER])

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            record = exc.record
            response = HttpResponse(
                bytes(record.response_content or b""),
                status=record.response_status,
                content_type=record.response_content_type or None,
            )
            response[REPLAYED_HEADER] = "true"
            return response
        try:
            return super().handle_exception(exc)
        except Exception:
            self._release()
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record, self._idempotency_record = self._idempotency_record, None
        if record is not None:
            if response.status_code >= 500:
                self._delete(record)
            else:
                self._complete(record, response)
        return response

    # --- the row ---------------------------------------------------------------------------

    def _claim(self, request, key):
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise exceptions.ValidationError({HEADER: [f"Use a key of 1 to {MAX_KEY_LENGTH} printable characters."]})
        fingerprint = request_fingerprint(request)
        api_key = request.auth
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    return IdempotencyKey.objects.create(
                        organization=api_key.organization, api_key=api_key, key=key, fingerprint=fingerprint
                    )
            except IntegrityError:
                existing = IdempotencyKey.objects.filter(api_key=api_key, key=key).first()
            if existing is None:  # deleted by a failed first attempt or the purge: try again
                continue
            if existing.created_at < timezone.now() - RETENTION:  # expired, not purged yet
                IdempotencyKey.objects.filter(pk=existing.pk).delete()
                continue
            if existing.fingerprint != fingerprint:
                raise UnprocessableEntity()
            if existing.state == IdempotencyKey.State.IN_FLIGHT:
                raise Conflict()
            raise _Replay(existing)
        raise Conflict()

    @staticmethod
    def _complete(record, response):
        # Rendered here, once: the bytes stored are the bytes the client gets (render() keeps them).
        if isinstance(response, Response):
            response.render()
        IdempotencyKey.objects.filter(pk=record.pk).update(
            state=IdempotencyKey.State.COMPLETED,
            response_status=response.status_code,
            response_content=response.content,
            response_content_type=response.get("Content-Type", ""),
        )

    @staticmethod
    def _delete(record):
        IdempotencyKey.objects.filter(pk=record.pk).delete()

    def _release(self):
        record, self._idempotency_record = self._idempotency_record, None
        if record is not None:
            self._delete(record)
