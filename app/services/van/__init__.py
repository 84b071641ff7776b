"""The van's stock: the courier's daily van load, and what orders and shake rounds reserve from it."""
