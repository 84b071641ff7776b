"""The store: scan-to-store and the storefront, catalog and deals, coupons, orders, pickups at the van."""
