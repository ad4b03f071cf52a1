"""A person's notices (DOMAIN.md, "Notices"): their 알림함, their choices, and what is sent."""
