from tests.billing.factories import CustomerFactory

URL = "/api/v1/audit-events/"


def test_audit_events_newest_first_with_actor(api, org, rw_key):
    created = api.post("/api/v1/customers/", {"name": "Hooli"}, format="json").json()
    api.patch(f"/api/v1/customers/{created['id']}/", {"phone": "123"}, format="json")
    response = api.get(URL)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["action"] for row in results] == ["customer.updated", "customer.created"]
    event = results[0]
    assert set(event) == {
        "id", "action", "actor", "target_type", "target_id", "target_label", "changes", "ip", "request_id",
        "created_at",
    }  # fmt: skip
    assert event["actor"] == {"type": "api_key", "id": str(rw_key[0].pk), "label": rw_key[0].label}
    assert event["target_id"] == created["id"] and event["target_type"] == "customer"
    assert event["changes"] == {"phone": ["", "123"]}
    assert event["request_id"]


def test_audit_event_filters(api, org):
    first = api.post("/api/v1/customers/", {"name": "A"}, format="json").json()
    api.post("/api/v1/customers/", {"name": "B"}, format="json")
    api.patch(f"/api/v1/customers/{first['id']}/", {"archived": True}, format="json")
    assert api.get(URL, {"action": "customer.created"}).json()["count"] == 2
    assert api.get(URL, {"target_id": first["id"]}).json()["count"] == 2
    assert api.get(URL, {"target_type": "customer", "action": "customer.archived"}).json()["count"] == 1
    assert api.get(URL, {"target_type": "invoice"}).json()["count"] == 0


def test_audit_events_are_read_only(api, org):
    api.post("/api/v1/customers/", {"name": "A"}, format="json")
    event_id = api.get(URL).json()["results"][0]["id"]
    assert api.get(f"{URL}{event_id}/").status_code == 200
    assert api.post(URL, {"action": "x"}, format="json").status_code == 405
    assert api.delete(f"{URL}{event_id}/").status_code == 405
    assert api.patch(f"{URL}{event_id}/", {"action": "x"}, format="json").status_code == 405


def test_other_organizations_events_are_invisible(api, outsider_api, org):
    CustomerFactory(organization=org)
    api.post("/api/v1/customers/", {"name": "A"}, format="json")
    assert outsider_api.get(URL).json()["count"] == 0
