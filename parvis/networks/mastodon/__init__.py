"""Mastodon: the connector (Mastodon.py), the per-instance app registration helpers, the error mapping."""
