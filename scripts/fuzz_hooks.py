"""Schemathesis hooks for scripts/fuzz_api: the one documented rule JSON Schema cannot state.

``until`` must not be before ``since`` (a 400, described in the OpenAPI document): generated cases
get the two dates in order, so schemathesis does not count the documented 400 as "valid data
rejected". Reversed dates are tested by hand (tests/test_requests.py, tests/test_app.py).
"""

from __future__ import annotations

from typing import Any

import schemathesis


def _ordered(values: Any) -> None:
    if isinstance(values, dict):
        since, until = values.get("since"), values.get("until")
        if isinstance(since, str) and isinstance(until, str) and since and until and until < since:
            values["since"], values["until"] = until, since


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    _ordered(case.query)
    _ordered(case.body)
    return case
