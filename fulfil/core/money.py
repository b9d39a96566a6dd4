"""Money as shops in Indonesia write it: whole rupiah, dots between thousands."""

from __future__ import annotations


def rupiah(amount: int) -> str:
    """Rp150.000"""
    return f"Rp{amount:,}".replace(",", ".")
