"""Locust scenarios of the HTTP benchmark; ``bench/run.py`` starts locust headless with one
of these user classes at a time against gunicorn on 127.0.0.1.

Each run reads its parameters (API key, session cookie, ids) from the JSON file named by
``BENCH_LOCUST_CONFIG``, written by run.py. Users send requests back to back (no think
time): the point is the throughput and latency of the server, side by side with the
trivial ``PingUser`` measured in the same run.
"""

import json
import os
import random
from urllib.parse import urlsplit

from locust import FastHttpUser, constant, task

CONFIG = json.loads(open(os.environ["BENCH_LOCUST_CONFIG"], encoding="utf-8").read())  # noqa: SIM115

# Loopback only: refuse anything else before a single request is sent.
if urlsplit(CONFIG["host"]).hostname != "127.0.0.1":
    raise SystemExit("the benchmark only talks to 127.0.0.1")


def _items(count: int) -> list[dict]:
    return [
        {
            "description": f"Consulting, week {n + 1}",
            "quantity": "1.5",
            "unit_price": "120.00",
            "tax_rate": "19" if n % 3 else "7",
        }
        for n in range(count)
    ]


class _ApiUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    host = CONFIG["host"]

    def on_start(self):
        self.headers = {"Authorization": f"Bearer {CONFIG['api_key']}", "Accept": "application/json"}

    def expect(self, method, path, status, name, **kwargs):
        with self.client.request(method, path, headers=self.headers, name=name, catch_response=True, **kwargs) as r:
            if r.status_code != status:
                r.failure(f"status {r.status_code}, expected {status}: {(r.text or '')[:200]}")


class _WebUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    host = CONFIG["host"]

    def on_start(self):
        self.headers = {"Cookie": f"{CONFIG['session_cookie_name']}={CONFIG['session_key']}"}

    def expect_page(self, path, name):
        with self.client.get(path, headers=self.headers, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")


class PingUser(_ApiUser):
    @task
    def ping(self):
        self.expect("GET", CONFIG["ping_path"], 200, "ping")


class ApiInvoiceListUser(_ApiUser):
    @task
    def invoice_list(self):
        self.expect("GET", "/api/v1/invoices/?page_size=50", 200, "api invoice list")


class ApiInvoiceDetailUser(_ApiUser):
    @task
    def invoice_detail(self):
        invoice = random.choice(CONFIG["invoice_ids"])
        self.expect("GET", f"/api/v1/invoices/{invoice}/", 200, "api invoice detail")


class ApiInvoiceCreateUser(_ApiUser):
    @task
    def invoice_create(self):
        body = {
            "business": CONFIG["business_id"],
            "customer": random.choice(CONFIG["customer_ids"]),
            "items": _items(10),
        }
        self.expect("POST", "/api/v1/invoices/", 201, "api invoice create (10 items)", json=body)


class ApiPaymentRecordUser(_ApiUser):
    @task
    def payment_record(self):
        body = {
            "invoice": random.choice(CONFIG["open_invoice_ids"]),
            "amount": "0.01",
            "date": CONFIG["payment_date"],
            "method": "bank_transfer",
        }
        self.expect("POST", "/api/v1/payments/", 201, "api payment record", json=body)


class DashboardPageUser(_WebUser):
    @task
    def dashboard(self):
        self.expect_page(f"/o/{CONFIG['org_slug']}/", "dashboard page")


class InvoiceListPageUser(_WebUser):
    @task
    def invoice_list_page(self):
        self.expect_page(f"/o/{CONFIG['org_slug']}/invoices/", "invoice list page")
