"""fulfil's benchmark: `python bench/run.py [--quick] [--json]`. Not part of the test suite."""
