"""Italian dates as the clinic reads them: "04 dicembre 2026, 14:30" (Django's own
DATETIME_FORMAT spells out the weekday, too long for tables); numbers, separators and input
formats stay Django's.
"""

DATE_FORMAT = "d F Y"
DATETIME_FORMAT = "d F Y, H:i"
