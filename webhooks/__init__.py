"""Outbound webhooks: customers' systems subscribe to what happened (docs/webhooks.md)."""
