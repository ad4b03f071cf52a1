"""medrec console: the staff's pages (운영자 콘솔)."""
