"""Domain logic, one package per domain: no HTTP, errors from errors.py, the caller commits.

accounts/   shoppers (WeChat sign-in), staff, passwords, tokens
places/     compounds, addresses, who counts as in a compound, live counts
couriers/   the courier registry, store codes, printable badges, the van's arrivals
store/      the storefront, catalog and deals, coupons, orders, the pick list and handover
campaigns/  shake campaigns, their edits, rounds, dashboard and reports
shaking/    the shake itself: two draw engines behind one interface
audit/      the audit trail, and the staff changes written to it
errors.py, idempotency.py: refusals with their API codes; client-made ids answered once
"""
