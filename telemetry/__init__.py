"""Traces, metrics and the settings for both (logs are configured in logging_setup.py)."""
