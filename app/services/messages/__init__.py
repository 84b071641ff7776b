"""Subscribe messages: shoppers' acceptances, and the outbox messages leave through."""
