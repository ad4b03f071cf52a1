"""The domain rules every service shares (guardianship, retention, RRNs, clinical
content, linkage, the record vocabulary, the events and who owns them, access events). They
may use the platform; the platform never imports them."""
