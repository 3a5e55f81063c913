"""Load scenario for the walking skeleton: officers log in, open cases and read them back.

The load-test issue adds reviewers, gas devices, weigh stations and public readers.
"""

from __future__ import annotations

import os
import uuid

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_DEMO_PASSWORD", "")
ENTERPRISE = {
    "kind": "organization",
    "name": "常州某燃气餐饮有限公司",
    "credit_code": "914403001922038216",
}


class Officer(HttpUser):
    """A field officer's phone: opens an inspection case now and then, reads the list often."""

    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        r = self.client.post("/v1/auth/login", json={"username": "officer1", "password": PASSWORD})
        r.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        self.case_ids: list[str] = []

    @task(1)
    def open_case(self) -> None:
        body = {
            "client_case_id": str(uuid.uuid4()),
            "domain": "gas",
            "title": "燃气检查",
            "party": ENTERPRISE,
            "co_officer_ids": ["u-officer2"],
        }
        with self.client.post(
            "/v1/cases",
            json=body,
            name="/v1/cases [open]",
            headers={"Idempotency-Key": body["client_case_id"]},
            catch_response=True,
        ) as r:
            if r.status_code == 201:
                self.case_ids.append(r.json()["case_id"])
            else:
                r.failure(f"{r.status_code}: {r.text[:200]}")

    @task(3)
    def list_cases(self) -> None:
        self.client.get("/v1/cases?page_size=20", name="/v1/cases [list]")

    @task(2)
    def read_case(self) -> None:
        if self.case_ids:
            self.client.get(f"/v1/cases/{self.case_ids[-1]}", name="/v1/cases/{id}")
