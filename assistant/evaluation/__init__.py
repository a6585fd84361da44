"""Scripted evaluation: case files, metrics, the runner, gates, terminal and HTML reports."""
