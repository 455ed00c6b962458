"""Schemathesis hooks (SCHEMATHESIS_HOOKS) for the contract test: every generated call is
authenticated as its operation requires — a logged-in session with its CSRF token on /api/*,
a fresh JWT signed as the CDS Hooks Sandbox signs (aud = the URL called, a new jti) on the
CDS Hooks endpoints. The secrets come from the test through the environment."""

import os
import time
import uuid

import jwt
import schemathesis

CDS_PREFIX = "/cds-services"


@schemathesis.auth(refresh_interval=None)
class VPSelectAuth:
    def get(self, case, context):
        return os.environ["VPSELECT_ST_BASE_URL"]

    def set(self, case, data, context):
        case.headers = dict(case.headers or {})
        if case.path.startswith(CDS_PREFIX):
            now = int(time.time())
            claims = {
                "iss": os.environ["VPSELECT_ST_ISS"],
                "aud": data + case.formatted_path,
                "exp": now + 300,
                "iat": now,
                "jti": str(uuid.uuid4()),
            }
            with open(os.environ["VPSELECT_ST_KEY"], "rb") as key_file:
                key = key_file.read()
            headers = {"kid": os.environ["VPSELECT_ST_KID"], "jku": os.environ["VPSELECT_ST_JKU"]}
            token = jwt.encode(claims, key, algorithm="ES384", headers=headers)
            case.headers["Authorization"] = f"Bearer {token}"
        else:
            case.cookies = {
                **(case.cookies or {}),
                "sessionid": os.environ["VPSELECT_ST_SESSION"],
                "csrftoken": os.environ["VPSELECT_ST_CSRF"],
            }
            case.headers["X-CSRFToken"] = os.environ["VPSELECT_ST_CSRF"]
