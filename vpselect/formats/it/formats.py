"""Italian dates as the clinic reads them: "4 dic 2026, 14:30" (Django's DATETIME_FORMAT spells
out the weekday, too long for tables); numbers, separators and input formats stay Django's.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
