"""Clearance reports for marketing and ops: what each clearance deal moved."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api.auth import auth_required
from app.api.errors import ErrorBody
from app.extensions import db
from app.models import utcnow
from app.schemas.clearance import ClearanceReportEnvelope
from app.services.clearance import reports

blp = Blueprint("console_clearance", __name__, url_prefix="/api/v1/console", description="Clearance (清仓)")


@blp.get("/deals/<int:deal_id>/clearance-report")
@auth_required("staff", "marketing", "ops")
@blp.response(200, ClearanceReportEnvelope)
@blp.alt_response(404, schema=ErrorBody, description="not_found: no such deal, or not a clearance deal")
def clearance_report(deal_id):
    """Units sold of the deal's quantity, revenue at the clearance price against the list price,
    by compound, and when it sold out or ended."""
    return {"report": reports.clearance_report(db.session, deal_id, utcnow())}
