"""CRM sheets: a local CSV (default) and, later, a Google Sheet. Both upsert by order ID."""
