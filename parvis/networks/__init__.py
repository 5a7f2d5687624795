"""Connectors: one package per network behind one interface. DTOs in, DTOs out; never the ORM."""
