"""Test helpers shared by the suite, the demo and the benchmarks (importable as `lwb_testkit`)."""
