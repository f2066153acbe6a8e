"""OpenAPI fuzzing (schemathesis): no request the schema allows, or nearly allows, gets a 5xx.

Fixed seed (hypothesis ``derandomize``) and a bounded number of examples per operation, so the
run is repeatable and takes well under a minute. Requests go through Django's test client, inside
the test's database transaction, as the superuser (every code path is in scope) and as a
province reporter (the scoped paths). ``LUOSHI_FUZZ_EXAMPLES`` raises the bound for a longer run.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, Phase, settings

from luoshi.core.api import api

EXAMPLES = int(os.environ.get("LUOSHI_FUZZ_EXAMPLES", "12"))

SEED = 20261203
schema = schemathesis.openapi.from_dict(
    api.get_openapi_schema(path_prefix="/api/v1"),
    config=schemathesis.config.SchemathesisConfig.from_dict({"seed": SEED, "generation": {"mode": "all"}}),
)


def _send(client: Client, case) -> int:
    from urllib.parse import urlencode

    from django.core.files.uploadedfile import SimpleUploadedFile
    from schemathesis.core import NotSet

    query = {k: v for k, v in (case.query or {}).items() if v is not None}
    path = case.formatted_path + (f"?{urlencode(query, doseq=True)}" if query else "")
    verb = case.method.upper()
    body = case.body
    if isinstance(body, NotSet):
        return client.generic(verb, path).status_code
    media = case.media_type or "application/json"
    if media.startswith("multipart/"):
        fields = {}
        for key, value in (body or {}).items() if isinstance(body, dict) else []:
            if isinstance(value, (bytes, bytearray)):
                value = SimpleUploadedFile(f"{key}.bin", bytes(value))
            fields[key] = value if isinstance(value, (str, SimpleUploadedFile)) else json.dumps(value)
        if verb == "POST":
            return client.post(path, fields).status_code
        return client.generic(verb, path).status_code
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.generic(verb, path, data, content_type=media).status_code


@pytest.fixture
def clients(world):
    from luoshi.accounts import services as account_services
    from luoshi.plans.tests.conftest import build_small_plan

    build_small_plan(world)  # ids 1.. exist, so generated ids sometimes hit real objects
    made = []
    for username in ("admin", "beijing_reporter"):
        user = world.user(username)
        _token, raw = account_services.create_token(user, user, "fuzz")
        made.append(Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False))
    return made


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_api_request_gets_a_server_error(case, clients):
    for client in clients:
        status = _send(client, case)
        assert status < 500, f"{case.method} {case.formatted_path} query={case.query} body={case.body!r} → {status}"
