"""Notifiers: `.eml` files in an outbox folder (default) and, later, SMTP and chat."""
