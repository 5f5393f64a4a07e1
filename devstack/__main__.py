"""CLI: ``python -m devstack up | down | status | ensure-postgres | ensure-redis | ensure-chromium | ensure-helm | examples``."""

from __future__ import annotations

import argparse
import json

from devstack import postgres, stack


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument(
        "command",
        choices=[
            "up",
            "down",
            "status",
            "ensure-postgres",
            "ensure-redis",
            "ensure-chromium",
            "ensure-helm",
            "examples",
        ],
    )
    args = parser.parse_args()
    if args.command == "up":
        print(stack.banner(stack.up()))
    elif args.command == "down":
        stopped = stack.down()
        print(f"stopped: {', '.join(stopped)}" if stopped else "nothing running")
    elif args.command == "status":
        print(json.dumps(stack.status(), indent=2) or "nothing running")
    elif args.command == "ensure-redis":
        from devstack import redis

        try:
            redis.ensure_running()
        except redis.RedisUnavailable as err:
            raise SystemExit(str(err)) from err
        print("Redis is up")
    elif args.command == "ensure-chromium":
        from devstack import render

        try:
            print(f"Chromium: {render.ensure_chromium()}")
        except render.ChromiumUnavailable as err:  # the rendering tests skip, saying why
            print(f"Chromium is not available, the rendering tests will be skipped: {err}")
    elif args.command == "ensure-helm":
        from devstack import tools

        try:
            helm = tools.ensure_helm()
        except tools.ToolUnavailable as err:  # the Helm render tests would fail: stop here
            raise SystemExit(f"helm is not available: {err}") from err
        print(f"helm: {helm} ({tools.helm_version(helm)})")
    elif args.command == "examples":
        from devstack.examples import render_examples

        for path in render_examples(stack.dev_config().s3_port):
            print(f"wrote {path}")
    else:
        try:
            postgres.ensure_running()
        except postgres.PostgresUnavailable as err:
            raise SystemExit(str(err)) from err
        print("PostgreSQL is up")


if __name__ == "__main__":
    main()
