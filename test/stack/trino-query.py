#!/usr/bin/env python3
"""Runs one SQL statement on the stack's Trino over its HTTP protocol and prints the rows as TSV.

Standard library only, so the stack scripts need neither the Trino CLI (another JVM start per
query) nor the dbt virtualenv to check Trino's health.

    trino-query.py [--server http://127.0.0.1:58080] [--user etl] [--catalog iceberg] SQL
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def request(method: str, url: str, user: str, body: bytes | None, headers: dict[str, str]) -> dict:
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("X-Trino-User", user)
    for key, value in headers.items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace")[:500]
        raise SystemExit(f"trino-query: HTTP {err.code} from {url}: {detail}") from err
    except urllib.error.URLError as err:
        raise SystemExit(f"trino-query: cannot reach {url}: {err.reason}") from err


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="http://127.0.0.1:58080")
    parser.add_argument("--user", default="etl")
    parser.add_argument("--catalog")
    parser.add_argument("--schema")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before giving up")
    parser.add_argument("sql")
    args = parser.parse_args()

    # Without PARAMETRIC_DATETIME Trino rounds timestamps to milliseconds for "legacy" clients.
    headers: dict[str, str] = {
        "Content-Type": "text/plain",
        "X-Trino-Client-Capabilities": "PARAMETRIC_DATETIME",
    }
    if args.catalog:
        headers["X-Trino-Catalog"] = args.catalog
    if args.schema:
        headers["X-Trino-Schema"] = args.schema

    deadline = time.monotonic() + args.timeout
    page = request("POST", f"{args.server}/v1/statement", args.user, args.sql.encode(), headers)
    while True:
        if "error" in page:
            error = page["error"]
            print(
                f"trino-query: {error.get('errorName', 'ERROR')}: {error.get('message', error)}",
                file=sys.stderr,
            )
            return 1
        for row in page.get("data") or []:
            print("\t".join("NULL" if v is None else str(v) for v in row))
        next_uri = page.get("nextUri")
        if not next_uri:
            return 0
        if time.monotonic() > deadline:
            print(f"trino-query: no result within {args.timeout}s", file=sys.stderr)
            return 1
        page = request("GET", next_uri, args.user, None, {})


if __name__ == "__main__":
    sys.exit(main())
