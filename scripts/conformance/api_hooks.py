"""Schemathesis hooks for scripts/conformance-api.sh: the rules of the API that depend on
the clock or on what the server gave out, which no JSON Schema can state.

The OpenAPI document states them in the fields' descriptions, and the server answers 422
when they are broken. A request the schema allows but that breaks one of them is not a
"schema-valid request the server should accept", so, for requests generated as valid
data only, these hooks put such a field back inside what the server takes. Everything
else about the request is left as generated, and invalid (negative) requests are not
touched at all, so every check still runs on every operation.

- A date that must be after today (a snooze, a re-engage date, a revisit date): moved
  to a day after today in every time zone.
- `occurred_at`, which must not be in the future nor more than three years ago: moved
  to an hour ago.
- `cursor`, which must be a `next_cursor` the same list gave out: dropped, unless the
  server gave it out (recorded from its answers).
"""

import datetime

import schemathesis

# Dates the server requires to be after today, by operation and body field.
AFTER_TODAY = {
    ("POST", "/api/v1/touches/{id}/snooze"): ["until"],
    ("POST", "/api/v1/prospects/{id}/interactions"): ["re_engage_on"],
    ("POST", "/api/v1/touches/{id}/complete"): ["re_engage_on"],
    ("POST", "/api/v1/opportunities/{id}/stage"): ["revisit_on"],
}
IN_THE_PAST = {
    ("POST", "/api/v1/prospects/{id}/interactions"): ["occurred_at"],
    ("POST", "/api/v1/touches/{id}/complete"): ["occurred_at"],
}


def _positive(case):
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


# Every `next_cursor` the server has answered, by path (see `after_call`).
ISSUED_CURSORS = set()


@schemathesis.hook
def map_case(ctx, case):
    if not _positive(case):
        return case
    key = (case.operation.method.upper(), case.operation.path)
    body = case.body if isinstance(case.body, dict) else None
    if body is not None:
        later = datetime.date.today() + datetime.timedelta(days=2)
        for field in AFTER_TODAY.get(key, []):
            if isinstance(body.get(field), str):
                body[field] = later.isoformat()
        for field in IN_THE_PAST.get(key, []):
            if isinstance(body.get(field), str):
                an_hour_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
                body[field] = an_hour_ago.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    query = case.query
    if isinstance(query, dict) and query.get("cursor"):
        if _cursor_key(case, query["cursor"]) not in ISSUED_CURSORS:
            del query["cursor"]
    return case


@schemathesis.hook
def after_call(ctx, case, response):
    if response.status_code != 200:
        return
    try:
        cursor = response.json().get("next_cursor")
    except (ValueError, AttributeError):
        return
    if isinstance(cursor, str):
        ISSUED_CURSORS.add(_cursor_key(case, cursor))


def _cursor_key(case, cursor):
    # A cursor of the prospects' list holds its order too.
    sort = (case.query or {}).get("sort") or "newest"
    return (case.operation.path, str(sort), str(cursor))
