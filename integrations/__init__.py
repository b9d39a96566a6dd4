"""Adapters to the outside: one small interface per system, a local and a real implementation."""
