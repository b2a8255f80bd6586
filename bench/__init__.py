"""The benchmarks of issue 6: `python -m bench` (see bench/__main__.py, README "Benchmarks", docs/benchmarks.md)."""
