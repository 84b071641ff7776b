"""Clearance report bodies: what a clearance deal moved."""
from __future__ import annotations

from marshmallow import Schema, fields


class CompoundMovedOut(Schema):
    compound_id = fields.Integer()
    name = fields.String()
    units = fields.Integer(metadata={
        "description": "units at the clearance price in orders that still count"})
    handed_over = fields.Integer(metadata={"description": "of units, in orders handed over at the van"})
    revenue_fen = fields.Integer(metadata={"description": "those units at the clearance price"})
    regular_fen = fields.Integer(metadata={"description": "those units at the list price when ordered"})


class ClearanceReportOut(Schema):
    deal_id = fields.Integer(attribute="deal.id")
    product_id = fields.Integer(attribute="deal.product_id")
    product_name = fields.String(attribute="deal.product.name")
    deal_price_fen = fields.Integer(attribute="deal.deal_price_fen")
    status = fields.String(metadata={"description": "scheduled, running, sold_out or ended"})
    quantity = fields.Integer(attribute="deal.quantity", allow_none=True)
    sold = fields.Integer(attribute="deal.sold", metadata={"description": "units taken by live orders now"})
    units_sold = fields.Integer()
    revenue_fen = fields.Integer()
    regular_fen = fields.Integer()
    markdown_fen = fields.Integer(metadata={
        "description": "regular_fen - revenue_fen: what the clearance gave away"})
    starts_at = fields.AwareDateTime(attribute="deal.starts_at", allow_none=True)
    ends_at = fields.AwareDateTime(attribute="deal.ends_at", allow_none=True)
    sold_out_at = fields.AwareDateTime(attribute="deal.sold_out_at", allow_none=True)
    by_compound = fields.List(fields.Nested(CompoundMovedOut))


class ClearanceReportEnvelope(Schema):
    report = fields.Nested(ClearanceReportOut)
