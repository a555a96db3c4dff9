"""Evaluation: the backtest and its scores, simulation-based calibration, brute force and simulators."""
