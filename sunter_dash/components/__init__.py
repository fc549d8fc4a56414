"""Pure builders of cards, charts and grids: functions of data, testable without a browser."""
import json

from plotly.io.json import to_json_plotly


def encoded(value):
    """Components (and figures) as the plain JSON Dash sends for them: what a memoized page keeps,
    so that serving it again neither builds nor encodes a component."""
    return json.loads(to_json_plotly(value))
