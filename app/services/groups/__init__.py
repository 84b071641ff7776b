"""Group orders (凑单): deals (opening, reading), joins (a seat and an order, atomically) and
outcomes (confirmed at the threshold, cancelled and refunded at a missed deadline)."""
