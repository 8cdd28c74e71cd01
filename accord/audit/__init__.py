"""Audit trail: who changed what, when, through which channel, with old and new values; export log."""
