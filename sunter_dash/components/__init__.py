"""Pure builders of cards, charts and grids: functions of data, testable without a browser."""
