"""Couriers: the registry ops keeps, their store codes and QR badges, and the van's "arrived" taps."""
