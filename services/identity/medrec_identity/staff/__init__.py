"""Staff accounts: the people who run the service or oversee a region, their sign-in (password
and TOTP, or the organisation's OpenID Connect provider), their sessions and the tokens that
carry their roles' scopes."""
