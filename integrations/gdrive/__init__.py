"""Proof stores: a local folder per order (default) and, later, a shared Google Drive folder."""
