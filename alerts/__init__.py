"""Alerts on rates over a sliding hour, and the kill switch's automatic pause (docs/alerts.md)."""
