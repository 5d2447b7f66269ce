"""The web layer: the app factory, HTTP API, exports, chart exports, answer cache, headers."""
