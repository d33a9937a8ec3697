"""Dormancy: how long a customer has been away (tier), why (reason), how often the winback journey
may write to them (weekly cap) and how likely they are still active (MBG/NBD)."""
