"""Canonical tables, source configs, parsing, validation and loading: the bottom of the house."""
