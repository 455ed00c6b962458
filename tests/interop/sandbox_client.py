"""A CDS client that signs its calls as the CDS Hooks Sandbox does: ES384, header kid and
jku, claims iss, aud (the URL called), exp (iat + 5 minutes), iat and jti; with a key
generated for the test. Also a tiny HTTP server on 127.0.0.1 to publish JWK Sets and act
as an EHR's FHIR server."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

SANDBOX_ISS = "https://sandbox.cds-hooks.org"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
SERVER = "http://testserver"


class SandboxClient:
    """Signs CDS Hooks calls with its own generated key (ES384 by default, or RS384)."""

    def __init__(self, *, iss: str = SANDBOX_ISS, alg: str = "ES384", jku: str = SANDBOX_JKU):
        self.iss = iss
        self.alg = alg
        self.jku = jku
        self.kid = str(uuid.uuid4())
        if alg.startswith("ES"):
            curve = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}[alg]
            self.private_key = ec.generate_private_key(curve())
            public = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        else:
            self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            public = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        self.public_jwk = {**public, "kid": self.kid, "alg": alg, "use": "sig"}

    @property
    def jwks(self) -> dict:
        return {"keys": [self.public_jwk]}

    def claims(self, aud: str, **changes) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.iss,
            "aud": aud,
            "exp": now + 300,
            "iat": now,
            "jti": str(uuid.uuid4()),
        }
        claims.update(changes)
        return {key: value for key, value in claims.items() if value is not None}

    def token(self, aud: str, *, headers: dict | None = None, **claim_changes) -> str:
        header = {"typ": "JWT", "kid": self.kid, "jku": self.jku, **(headers or {})}
        return jwt.encode(
            self.claims(aud, **claim_changes), self.private_key, algorithm=self.alg, headers=header
        )

    def authorization(self, path: str, *, aud: str | None = None, **changes) -> dict:
        """The Authorization header for a call to `path` of the test server."""
        return {"Authorization": f"Bearer {self.token(aud or SERVER + path, **changes)}"}


def entry(client: SandboxClient, **fields) -> dict:
    """The client's entry in the VPSELECT_CDS_CLIENTS file, with an inline JWK Set."""
    return {"iss": client.iss, "jwks": client.jwks, **fields}


class LocalServer:
    """Serves fixed JSON answers by path on 127.0.0.1 and remembers each request."""

    def __init__(self, routes: dict[str, object], *, delay: float = 0.0):
        self.routes = routes
        self.requests: list[tuple[str, dict]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                owner.requests.append((self.path, dict(self.headers)))
                if delay:
                    time.sleep(delay)
                answer = owner.routes.get(self.path)
                if answer is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "LocalServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]
