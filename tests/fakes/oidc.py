"""A real OpenID Connect provider on loopback: ``oidc-provider-mock`` (Authlib's server side),
wrapped to behave like the provider under test and to misbehave on request.

- ``microsoft=True`` serves discovery under ``/{tenant}/v2.0`` and publishes Microsoft's
  multi-tenant issuer ``…/{tenantid}/v2.0``; users then carry ``tid``, ``oid`` and the
  tenant's own ``iss``, as Entra ID's tokens do.
- ``tamper_id_token`` changes one character of the ID token's signature on its way out.
- ``token_endpoint_down`` answers the code exchange with a 503 page.
- ``token_response`` rewrites the token endpoint's JSON (malformed answers).

PKCE is enforced as real providers do (the mock itself ignores it): a code is exchanged only
with the verifier whose S256 challenge came with the authorization request.

The mock puts a user's claims into the ID token after its own, which is how a test makes a
token with a wrong nonce, issuer or audience that is still properly signed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import oidc_provider_mock
import werkzeug.serving

_TENANT_PREFIX = re.compile(r"^/[^/]+/v2\.0(?=/)")

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class FakeOidcProvider:
    def __init__(self, *, microsoft: bool = False) -> None:
        self.microsoft = microsoft
        self.tamper_id_token = False
        self.token_endpoint_down = False
        self.token_response: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.token_requests = 0
        self._challenges: dict[str, str] = {}
        self._inner = oidc_provider_mock.app(require_nonce=True)
        self._server = werkzeug.serving.make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- life -------------------------------------------------------------------------------

    def __enter__(self) -> FakeOidcProvider:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what a test configures -------------------------------------------------------------

    @property
    def discovery_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    @property
    def microsoft_authority(self) -> str:
        return self.base_url + "/{tenant}/v2.0"

    def tenant_issuer(self, tenant: str) -> str:
        return f"{self.base_url}/{tenant}/v2.0"

    def set_user(self, subject: str, **claims: Any) -> None:
        response = httpx.put(f"{self.base_url}/users/{subject}", json=claims)
        assert response.status_code == 204, response.text

    def set_microsoft_user(
        self,
        subject: str,
        *,
        tenant: str,
        oid: str,
        issuer_tenant: str | None = None,
        **claims: Any,
    ) -> None:
        self.set_user(
            subject,
            tid=tenant,
            oid=oid,
            iss=self.tenant_issuer(issuer_tenant or tenant),
            **claims,
        )

    # --- what the browser does --------------------------------------------------------------

    def authorize(self, auth_url: str, subject: str) -> str:
        """Signs in as ``subject`` on the provider's page; returns where it sends the browser
        back (our callback URL with code and state)."""
        response = httpx.post(auth_url, data={"sub": subject}, follow_redirects=False)
        assert response.status_code == 302, response.text
        return response.headers["location"]

    # --- the wrapper ------------------------------------------------------------------------

    def _wsgi(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if self.microsoft:
            path = _TENANT_PREFIX.sub("", path)
            environ["PATH_INFO"] = path
        if path == "/oauth2/authorize" and environ["REQUEST_METHOD"] == "POST":
            return self._authorize(environ, start_response)
        if path == "/oauth2/token":
            self.token_requests += 1
            if self.token_endpoint_down:
                start_response("503 Service Unavailable", [("Content-Type", "text/html")])
                return [b"<h1>Service unavailable</h1>"]
            refusal = self._check_pkce(environ)
            if refusal is not None:
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [
                    json.dumps({"error": "invalid_grant", "error_description": refusal}).encode()
                ]
            changes = [change for change in (self.token_response,) if change is not None]
            if self.tamper_id_token:
                changes.append(_tamper)
            if changes:
                return self._rewrite_json(environ, start_response, *changes)
        if path == "/.well-known/openid-configuration" and self.microsoft:
            return self._rewrite_json(environ, start_response, self._microsoft_discovery)
        result: Iterable[bytes] = self._inner(environ, start_response)
        return result

    def _authorize(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """Remembers the PKCE challenge of the code the provider hands out."""
        query = parse_qs(environ.get("QUERY_STRING", ""))
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"], captured["headers"] = status, headers

        body = b"".join(self._inner(environ, capture))
        location = dict((k.lower(), v) for k, v in captured["headers"]).get("location", "")
        code = callback_query(location).get("code")
        if code is not None:
            self._challenges[code] = (query.get("code_challenge") or [""])[0]
        start_response(captured["status"], captured["headers"])
        return [body]

    def _check_pkce(self, environ: Environ) -> str | None:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)
        form = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
        if form.get("grant_type") != "authorization_code":
            return None
        challenge = self._challenges.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not challenge or not verifier or expected != challenge:
            return "PKCE verification failed"
        return None

    def _microsoft_discovery(self, body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "issuer": self.base_url + "/{tenantid}/v2.0"}

    def _rewrite_json(
        self,
        environ: Environ,
        start_response: StartResponse,
        *changes: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"], captured["headers"] = status, headers

        body = b"".join(self._inner(environ, capture))
        if captured["status"].startswith("200"):
            document = json.loads(body)
            for change in changes:
                document = change(document)
            body = json.dumps(document).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]


def _tamper(body: dict[str, Any]) -> dict[str, Any]:
    header, payload, signature = body["id_token"].split(".")
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    return {**body, "id_token": f"{header}.{payload}.{flipped}"}


def callback_query(location: str) -> dict[str, str]:
    """The query of the provider's redirect back to us (code, state or error)."""
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def fragment(location: str) -> dict[str, str]:
    """The fragment of our redirect to the app (login_code, or error and its description)."""
    return {key: values[0] for key, values in parse_qs(urlsplit(location).fragment).items()}
