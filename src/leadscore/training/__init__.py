"""Fitting: the booster trainer, calibration, baselines, each model kind's training."""
