"""Measuring: metrics, each model kind's evaluation, plots and model cards."""
