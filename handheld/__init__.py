"""The courier's handheld: a client for the courier API, a durable outbox of taps, and a CLI.

`python -m handheld --help` for the command line; see handheld/cli.py for its exit codes.
"""
