"""identity's token signing keys: their rows, signing with the active one, and rotating them
(`medrec-identity-signing-keys`)."""
