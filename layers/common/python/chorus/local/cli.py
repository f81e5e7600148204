"""The `chorus` command: `chorus run` (the local stack), `chorus token ROLE` (a bearer token for it) and
`chorus classify` (the mention classifier on JSON lines)."""
from __future__ import annotations

import argparse
import json
import sys


def _token(role: str) -> int:
    import boto3

    from chorus.core.roles import ROLES
    from chorus.local.stack import configured_port, state_file

    if role not in ROLES:
        print(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}", file=sys.stderr)
        return 2
    port = configured_port()
    path = state_file(port)
    if not path.exists():
        print(f"Chorus is not running on port {port} (no {path}). Start it with `make run`.", file=sys.stderr)
        return 1
    state = json.loads(path.read_text())
    user = state["users"][role]
    cognito = boto3.client(
        "cognito-idp", region_name=state["region"], endpoint_url=state["aws_endpoint"],
        aws_access_key_id="local", aws_secret_access_key="local",
    )
    try:
        result = cognito.initiate_auth(
            ClientId=state["client_id"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user["username"], "PASSWORD": user["password"]},
        )
    except cognito.exceptions.UserNotFoundException:
        print(f"the demo user {user['username']} no longer exists (erased, or removed from the user pool); restart "
              "`make run` to get the demo users back", file=sys.stderr)
        return 1
    except cognito.exceptions.NotAuthorizedException:
        print(f"the demo user {user['username']} cannot sign in with the password `make run` gave it (changed or "
              "disabled); restart `make run`", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - explain, do not dump a traceback on the user
        print(f"could not sign in {user['username']} at {state['aws_endpoint']}: {error}. Is `make run` still up?",
              file=sys.stderr)
        return 1
    auth = result["AuthenticationResult"]
    print(f"Access token for {user['username']} (role {role}), valid {auth['ExpiresIn'] // 60} minutes:",
          file=sys.stderr)
    print(auth["AccessToken"])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chorus", description="Chorus: social-media command centre")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="run the whole product locally on an embedded AWS (port: CHORUS_PORT, default 8000)")
    run.add_argument("--no-demo", action="store_true", help="no demo channels or posts (role users are still created)")
    token = commands.add_parser("token", help="print a bearer token for the demo user of ROLE while `make run` is up")
    token.add_argument("role")
    commands.add_parser(
        "classify",
        help='classify mentions: JSON lines {"id": ..., "text": ...} on stdin; intent, sentiment, language and '
             "complaint score per line on stdout",
    )
    args = parser.parse_args(argv)
    if args.command == "classify":
        from chorus.listening.classify.cli import run as classify

        return classify(sys.stdin, sys.stdout)
    if args.command == "run":
        from chorus.local.stack import run as run_stack

        return run_stack(demo=not args.no_demo)
    return _token(args.role)


if __name__ == "__main__":
    sys.exit(main())
