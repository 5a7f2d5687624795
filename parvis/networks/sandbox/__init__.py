"""The sandbox: a simulated network for the demo, the benchmarks and fault injection.

`server` is a real HTTP server (run it with `python -m parvis.networks.sandbox`); `connector` talks to it
through the same interface as every real network.
"""
