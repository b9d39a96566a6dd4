"""The order store: the source of truth (SQLite by default, PostgreSQL by URL)."""

from integrations.store.store import OrderStore, OutboxMessage, StaleOrder

__all__ = ["OrderStore", "OutboxMessage", "StaleOrder"]
