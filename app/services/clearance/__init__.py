"""Clearance (清仓): deals with a quantity and an end, sold off to the compounds that want bargains.

- rules.py: what a clearance deal must carry (a quantity, an end) and how edits may change it.
- stock.py: taking units at the clearance price for an order (one conditional UPDATE each) and
  giving them back when the order gives its goods back.
- targeting.py: `"target": "price_sensitive"` resolved to compounds, through one function.
- reports.py: what a clearance deal moved, by compound.

Prices are not decided here: the price book (store/catalog.py) leaves out a clearance deal once
its quantity is gone, and orders (store/orders.py) price a line the deal cannot cover without it.
"""
