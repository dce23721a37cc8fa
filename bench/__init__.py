"""Benchmarks (DESIGN.md §10): scripts run against a real gunicorn + PostgreSQL, and the bare
baseline views they compare against. Not a test suite: see bench/README.md."""
