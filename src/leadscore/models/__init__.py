"""Fitted objects: encoders, calibration, grades, the conversion and next-best-offer models,
TreeSHAP."""
