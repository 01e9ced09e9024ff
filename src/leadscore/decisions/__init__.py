"""Deciding: the promotion gate of each model kind."""
