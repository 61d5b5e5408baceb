"""Sparklytics: self-hosted, privacy-first web analytics in one process."""

__version__ = "0.1.0"
