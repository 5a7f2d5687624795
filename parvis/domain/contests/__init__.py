"""Contests: comment-vote counting, verifiable draws and the rules text. Pure: no Django, no I/O, no clock."""
