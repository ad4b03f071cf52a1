"""Citizen verification: the provider port, its adapters, and the API."""
