"""Who signs in: shoppers (through WeChat), staff, their passwords and the bearer tokens of all."""
