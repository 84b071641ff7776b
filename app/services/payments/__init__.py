"""WeChat Pay on the order side: prepaying, notifications, refunds, settling unpaid orders, reconciliation."""
