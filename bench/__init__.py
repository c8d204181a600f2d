"""Benchmarks: run them as scripts (``.venv/bin/python bench/api.py``); they are not tests."""
