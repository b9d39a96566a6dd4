"""The order store: the source of truth (SQLite by default, PostgreSQL by URL)."""

from integrations.ports import OutboxMessage, StaleOrder
from integrations.store.store import OrderStore

__all__ = ["OrderStore", "OutboxMessage", "StaleOrder"]
