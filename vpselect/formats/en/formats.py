"""English dates for a European clinic: day before month, 24-hour clock (Django's "en" is US).

Templates name these (`|date:"DATE_FORMAT"`), never a literal format; other formats fall back
to Django's own for the language. https://docs.djangoproject.com/en/5.2/topics/i18n/formatting/
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1
