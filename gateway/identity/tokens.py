"""Issue a bearer token for development and tests.

    JWT_SECRET=... python -m gateway.identity.tokens --sub alice --roles platform_admin
    curl -H "Authorization: Bearer $(python -m gateway.identity.tokens --sub alice)" \
        http://127.0.0.1:8000/v1/communities

Without JWT_SECRET (outside production) the token is signed with the development secret the
gateway also falls back to, so the two agree.
"""

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

import jwt
from pydantic import ValidationError

from gateway.identity.auth import ALGORITHM, MAX_ROLES, acceptable_role, acceptable_subject
from gateway.settings import GatewaySettings


def issue_token(
    sub: str,
    *,
    secret: str,
    roles: Sequence[str] = (),
    ttl_seconds: int = 3600,
    audience: str | None = None,
) -> str:
    """An HS256 token for user `sub`, valid for `ttl_seconds`.

    ValueError for a subject or role the gateway would refuse: a token it cannot use is no help.
    """
    problem = token_claims_problem(sub, roles)
    if problem is not None:
        raise ValueError(problem)
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "iat": now, "exp": now + ttl_seconds}
    if roles:
        claims["roles"] = list(roles)
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def token_claims_problem(sub: str, roles: Sequence[str]) -> str | None:
    """Why the gateway would refuse a token naming this user and these roles, if it would."""
    if not acceptable_subject(sub):
        # The gateway passes the user id on in an HTTP header, which carries ASCII only.
        return (
            f"the user id {sub!r} is not acceptable: use 1-128 printable ASCII characters, "
            "without spaces (the gateway refuses tokens naming any other)"
        )
    if len(roles) > MAX_ROLES:
        return f"at most {MAX_ROLES} roles are allowed"
    for role in roles:
        if not acceptable_role(role):
            return (
                f"the role {role!r} is not acceptable: use 1-64 letters, digits, '_', '.', ':' "
                "or '-'"
            )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.identity.tokens",
        description="Print a bearer token the gateway accepts (signed with JWT_SECRET).",
    )
    parser.add_argument("--sub", required=True, help="the user id the token names")
    parser.add_argument(
        "--roles",
        default="",
        help="comma-separated platform roles, e.g. platform_admin",
    )
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    args = parser.parse_args(argv)
    if args.ttl <= 0:
        parser.error("--ttl must be positive")
    roles = [role.strip() for role in args.roles.split(",") if role.strip()]
    problem = token_claims_problem(args.sub, roles)
    if problem is not None:
        parser.error(problem)
    try:
        settings = GatewaySettings()
    except ValidationError as exc:
        print(f"cannot read the gateway settings: {exc}", file=sys.stderr)
        return 2
    print(
        issue_token(
            args.sub,
            secret=settings.jwt_secret,
            roles=roles,
            ttl_seconds=args.ttl,
            audience=settings.jwt_audience,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
