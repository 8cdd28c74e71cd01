"""ISO 8601 dates for every page when ACCORD_DATE_FORMAT=iso (the default).

Django's own English formats ("Dec. 6, 2026, 5:24 a.m.") win over the DATE_FORMAT settings, so the
ISO convention is a format module of its own. Templates name the formats (``|date:"SHORT_DATE_FORMAT"``)
instead of spelling one out, so switching ACCORD_DATE_FORMAT to ``locale`` changes every page at once.
"""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y-m"
MONTH_DAY_FORMAT = "m-d"
FIRST_DAY_OF_WEEK = 1  # Monday, as ISO 8601
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
