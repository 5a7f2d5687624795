"""Parvis — le centre de commande des réseaux sociaux des collectivités."""

__version__ = "0.1.0"
