"""What counts as text a person typed: a string that can be stored (UTF-8 encodes it: no lone
surrogates such as "\\ud800", which a crafted JSON body can carry)."""
from __future__ import annotations

import json


def is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_text_everywhere(value) -> bool:
    """Every string inside a parsed JSON value is text."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError, ValueError, TypeError):
        return False
    return True
