"""The issuing service's signing key and certificate."""
