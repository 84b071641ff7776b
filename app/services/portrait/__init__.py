"""The compound portrait (小区画像) and what it drives: daily figures per compound (days.py),
the portrait built from the last PORTRAIT_DAYS of them (portraits.py), picking compounds by it
(targeting.py), and the storefront's "recommended for you" ranking (recommend.py, pure)."""
