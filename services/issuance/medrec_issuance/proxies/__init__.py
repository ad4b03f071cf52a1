"""Relatives' and proxies' requests under Art. 21, and operators' review of them."""
