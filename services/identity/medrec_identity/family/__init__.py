"""The family registry port and its adapters, and acting for a child."""
