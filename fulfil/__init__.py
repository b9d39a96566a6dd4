"""fulfil: an order-fulfilment pipeline on Prefect 3."""

__version__ = "0.1.0"
