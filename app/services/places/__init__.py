"""Places: compounds, shoppers' addresses, where a shopper counts as living, a compound's live counts."""
