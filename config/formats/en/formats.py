"""English dates as the product writes them (and as its users, most of them outside the US,
read them): 5 December 2026, 14:30 — not Django's default "Dec. 5, 2026, 2:30 p.m.", which the
admin's lists and the audit trail showed. Other languages keep Django's own formats."""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
