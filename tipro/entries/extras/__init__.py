"""The extras on a time entry: supplements, absence and custom fields.

- definitions: what the company has defined and is active (the admin edits them in tipro.admin);
- validation: checking posted extras against the definitions (no writes);
- store: writing the checked extras with the entry, with their audit event;
- display: the extras as text for lists, the edit form and the transfer comment.

Posted keys (form fields and the `extras` object of a JSON batch alike):

- `x_cf_<key>`            value of the custom field with that key;
- `x_sup_<type id>`       quantity of that supplement type (empty or 0: none);
- `x_sup_<type id>_product`  product id, for types where the employee picks the product;
- `x_absence_type`        absence type id (entries of kind "absence");
- `x_extras=1`            the whole extras form was posted: supplements not posted are removed.

Keys that are not posted leave what the entry already has, so a client that only changes the
hours (week grid, timer) never wipes supplements or field values. Required custom fields are
checked against the result: posted values plus what the entry already has.
"""

import re

CF_PREFIX = "x_cf_"
SUP_PREFIX = "x_sup_"
SUP_RE = re.compile(r"^x_sup_([0-9]{1,10})(_product)?$")
ABSENCE_KEY = "x_absence_type"
FULL_FORM_KEY = "x_extras"


def field_key(key: str) -> str:
    """The posted key of a custom field."""
    return f"{CF_PREFIX}{key}"


def supplement_key(type_id: int) -> str:
    """The posted key of a supplement type's quantity."""
    return f"{SUP_PREFIX}{type_id}"
