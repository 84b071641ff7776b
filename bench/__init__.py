"""Load and latency benchmarks: `make bench` (see bench/README.md)."""
