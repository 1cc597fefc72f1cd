"""How a conversation ended, chosen by the clerk when closing."""

from flask_babel import lazy_gettext as _l

DISPOSITIONS = {
    "resolved": _l("Resolved"),
    "information_given": _l("Information given"),
    "referred": _l("Referred to another office"),
    "visit_needed": _l("Resident must visit the office"),
    "no_response": _l("Resident did not respond"),
    "not_city_matter": _l("Not a city matter"),
}
