"""The citizens portal."""
