"""Seoul's local time: timestamps are stored in UTC, while dates, hours of day and ages are Seoul's."""

from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")
