"""The web client's API types are generated from the server's OpenAPI, never hand-typed:
the committed description must be the server's own (else run `make gen-client`)."""

from __future__ import annotations

import json

from fastapi import FastAPI

from tests.web.conftest import ROOT


class TestGeneratedClient:
    def test_the_committed_openapi_is_the_servers(self, app: FastAPI) -> None:
        committed = json.loads((ROOT / "web" / "openapi.json").read_text(encoding="utf-8"))
        assert committed == app.openapi(), "the API changed: run `make gen-client` and commit"
        generated = (ROOT / "web" / "src" / "api" / "schema.d.ts").read_text(encoding="utf-8")
        for path in committed["paths"]:
            assert f'"{path}"' in generated, f"{path} is missing: run `make gen-client`"
