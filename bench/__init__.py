"""The benchmark of issue 4: corpus, query mix, runner (see BENCHMARKS.md)."""
