"""What every tab is made of: its record in the registry, and the server-side permission check
of its callbacks (hiding a tab is not authorization: anyone signed in can POST to
``/_dash-update-component``)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Callable

from dash import Dash, ctx, no_update

from ..auth import may


@dataclass(frozen=True)
class Tab:
    id: str
    label: str
    layout: Callable
    register: Callable[[Dash], None]
    permission: str = "read"  # who is offered the tab and may run its callbacks


def guarded(permission: str, **refusal):
    """Run the callback only for users who may ``permission``; everyone else gets ``refusal``
    (output name -> value, for a callback whose outputs are a dict) and no change to the other
    outputs (a callback of one output: ``value``, else no change)."""
    def wrap(fn: Callable) -> Callable:
        @wraps(fn)
        def checked(*args, **kwargs):
            if may(permission):
                return fn(*args, **kwargs)
            outputs = ctx.outputs_grouping
            if isinstance(outputs, dict) and "property" not in outputs:
                return {name: refusal.get(name, no_update) for name in outputs}
            return refusal.get("value", no_update)
        return checked
    return wrap
