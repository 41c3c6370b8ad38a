"""Idempotency-Key on POST (api.md, Basics): replay, different body, in-flight, expiry, purge."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from billing import services
from billing.models import Customer
from billora.api.idempotency import request_fingerprint
from organizations.models import IdempotencyKey
from organizations.tasks import purge_idempotency_keys
from organizations.tenancy import all_tenants, organization_scope
from tests.api.conftest import client_for
from tests.organizations.factories import make_api_key

URL = "/api/v1/customers/"


def post(client, body, key="key-1"):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def customer_count(org):
    with organization_scope(org):
        return Customer.objects.count()


def test_replay_returns_the_original_response_and_does_nothing_again(api, org):
    first = post(api, {"name": "Initech"})
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    second = post(api, {"name": "Initech"})
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert customer_count(org) == 1


def test_same_body_with_other_key_order_and_spacing_is_a_replay(api, org):
    assert post(api, {"name": "Initech", "email": "a@initech.example"}).status_code == 201
    response = api.generic(
        "POST",
        URL,
        '{ "email" : "a@initech.example",  "name": "Initech" }',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )
    assert response["Idempotent-Replayed"] == "true"
    assert customer_count(org) == 1


def test_a_validation_error_is_replayed_too(api, org):
    first = post(api, {"email": "nope"})
    assert first.status_code == 400
    second = post(api, {"email": "nope"})
    assert (second.status_code, second.json(), second["Idempotent-Replayed"]) == (400, first.json(), "true")


def test_same_key_different_body_is_422(api, org):
    assert post(api, {"name": "Initech"}).status_code == 201
    response = post(api, {"name": "Initrode"})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]
    assert customer_count(org) == 1


def test_keys_are_per_api_key(api, org):
    other_client = client_for(make_api_key(org, name="second")[1])
    assert post(api, {"name": "A"}).status_code == 201
    response = post(other_client, {"name": "A"})
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert customer_count(org) == 2


def test_without_a_key_nothing_is_stored(api, org):
    assert api.post(URL, {"name": "A"}, format="json").status_code == 201
    assert api.post(URL, {"name": "A"}, format="json").status_code == 201
    assert customer_count(org) == 2
    with all_tenants():
        assert not IdempotencyKey.objects.exists()


def test_key_longer_than_255_is_400(api, org):
    response = post(api, {"name": "A"}, key="k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert customer_count(org) == 0
    assert post(api, {"name": "A"}, key="k" * 255).status_code == 201


def test_in_flight_duplicate_is_409(api, org, rw_key):
    with all_tenants():
        IdempotencyKey.objects.create(
            organization=org, api_key=rw_key[0], key="key-1", fingerprint=_fingerprint_of(api, {"name": "A"})
        )
    response = post(api, {"name": "A"})
    assert response.status_code == 409
    assert customer_count(org) == 0


def _fingerprint_of(client, body):
    """The fingerprint the server computes, captured from a throwaway request."""
    captured = {}
    from billora.api import idempotency

    original = idempotency.request_fingerprint

    def spy(request):
        captured["value"] = original(request)
        return captured["value"]

    idempotency.request_fingerprint = spy
    try:
        client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="throwaway")
    finally:
        idempotency.request_fingerprint = original
    with all_tenants():
        IdempotencyKey.objects.filter(key="throwaway").delete()
        Customer.objects.all().delete()
    return captured["value"]


def test_failed_request_releases_the_key(api, org, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "customer_create", boom)
    with pytest.raises(RuntimeError):
        post(api, {"name": "A"})
    with all_tenants():
        assert not IdempotencyKey.objects.exists()
    monkeypatch.undo()
    assert post(api, {"name": "A"}).status_code == 201


def test_an_expired_key_runs_again(api, org):
    assert post(api, {"name": "A"}).status_code == 201
    with all_tenants():
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = post(api, {"name": "A"})
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert customer_count(org) == 2


def test_purge_task_deletes_keys_older_than_a_day(api, org):
    post(api, {"name": "A"}, key="old")
    post(api, {"name": "B"}, key="new")
    with all_tenants():
        IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    assert purge_idempotency_keys() == 1
    with all_tenants():
        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_purge_task_is_in_the_beat_schedule():
    from billora.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "organizations.tasks.purge_idempotency_keys" in tasks


def test_fingerprint_covers_method_path_and_body(rf):
    def fingerprint(path, body):
        return request_fingerprint(rf.post(path, body, content_type="application/json"))

    assert fingerprint("/a/", '{"x": "1"}') == fingerprint("/a/", '{ "x":"1" }')
    assert fingerprint("/a/", '{"x": "1"}') != fingerprint("/b/", '{"x": "1"}')
    assert fingerprint("/a/", '{"x": "1"}') != fingerprint("/a/", '{"x": 1}')


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_run_once(org, rw_key, monkeypatch):
    """Two threads, each with its own connection, send the same key at once: one runs, the
    other gets 409 while the first is in flight; afterwards a retry is a replay."""
    started, release = threading.Event(), threading.Event()
    original = services.customer_create

    def slow_create(**kwargs):
        started.set()
        assert release.wait(10)
        return original(**kwargs)

    monkeypatch.setattr(services, "customer_create", slow_create)
    results = {}

    def first():
        try:
            results["first"] = post(client_for(rw_key[1]), {"name": "Once"})
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    try:
        second = post(client_for(rw_key[1]), {"name": "Once"})
    finally:
        release.set()
        thread.join(20)
    assert second.status_code == 409
    assert results["first"].status_code == 201
    third = post(client_for(rw_key[1]), {"name": "Once"})
    assert third.status_code == 201 and third["Idempotent-Replayed"] == "true"
    assert customer_count(org) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_simultaneous_duplicates_create_one_customer(org, rw_key):
    barrier = threading.Barrier(6)
    statuses = []
    lock = threading.Lock()

    def send():
        try:
            client = client_for(rw_key[1])
            barrier.wait(10)
            status = post(client, {"name": "Race"}).status_code
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(statuses) == 6
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    assert customer_count(org) == 1


@pytest.mark.postgres
def test_a_replay_sends_the_original_bytes(api, org):
    """PostgreSQL's jsonb reorders keys (shorter first): the replay must not go through it."""
    body = {"name": "Initech", "email": "ap@initech.example", "address_line1": "1 Main St", "city": "Austin"}
    first = post(api, body)
    assert first.status_code == 201
    second = post(api, body)
    assert second["Idempotent-Replayed"] == "true"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
