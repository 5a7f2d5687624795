"""Bluesky (AT Protocol): publishing, conversation and figures through the account's PDS."""
