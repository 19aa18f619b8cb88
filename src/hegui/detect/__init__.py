"""Detectors: turn what the readers found in an APK into observations, using hegui's knowledge files."""
