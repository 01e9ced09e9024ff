"""Conversion and next-best-offer models: training, calibration, evaluation."""
