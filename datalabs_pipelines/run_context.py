"""The date a run is judged on, and the tag it is read from.

Agreements, relative expectation bounds and the staging checks all judge a run on one date:
its scheduled time when the schedule launched it, else now, in the state's time zone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

RUN_TIMEZONE = ZoneInfo("America/Chicago")
SCHEDULED_TIME_TAG = "dagster/scheduled_execution_time"


def run_date(scheduled_execution_time: str | None = None) -> dt.date:
    """The date a run is judged on: its scheduled time if any, else now, in the state's zone."""
    if scheduled_execution_time:
        moment = dt.datetime.fromisoformat(scheduled_execution_time)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(RUN_TIMEZONE).date()
    return dt.datetime.now(RUN_TIMEZONE).date()
