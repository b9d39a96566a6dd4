"""The pure core: orders, statuses, validation, deadlines. No Prefect, SQL or Google here."""
