"""Decisioning for journeys: the intent score, the send-time window and the channel order."""
