"""Training and evaluation code: run by hand or in CI, never imported by the worker or the API."""
