"""Binding the claimed RRN to the person a provider verified, through their CI (연계정보)."""
