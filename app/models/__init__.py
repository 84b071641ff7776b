"""All models, imported here so Alembic and the app see one metadata."""
from app.models.audit import AuditEntry
from app.models.base import Base, utcnow
from app.models.campaign import Campaign, CampaignPrize
from app.models.catalog import DEAL_KINDS, Deal, Product
from app.models.clearance import ClearanceSale
from app.models.compound import Compound, CompoundName
from app.models.coupon import Coupon, CouponTemplate
from app.models.courier import Courier
from app.models.earnings import DEFAULT_CATEGORY, CommissionRateChange, CommissionRule
from app.models.group import GroupDeal, GroupJoin
from app.models.message import MessageSubscription, OutboxMessage
from app.models.order import IdempotentAnswer, Order, OrderItem
from app.models.payment import Payment, PaymentDiscrepancy, PaymentNotification, PaymentRefund
from app.models.popularity import ProductView
from app.models.portrait import CompoundDay, CompoundPortrait
from app.models.prestock import PrestockPlanItem, PrestockSettings
from app.models.promotion import PromotionEvent, Wish, WishNotice
from app.models.shake import Arrival, RoundPrize, RoundShopper, Shake, ShakeRound, ShopperCompoundDay
from app.models.shopper import Address, Shopper, StoreSession
from app.models.staff import STAFF_ROLES, Staff
from app.models.van import VanHold, VanLoadItem

__all__ = [
    "Address", "Arrival", "AuditEntry", "Base", "Campaign", "CampaignPrize", "ClearanceSale",
    "CommissionRateChange", "CommissionRule", "Compound", "CompoundDay", "CompoundName", "CompoundPortrait",
    "Coupon", "CouponTemplate", "Courier", "DEAL_KINDS", "DEFAULT_CATEGORY", "Deal", "GroupDeal",
    "GroupJoin", "IdempotentAnswer", "MessageSubscription", "Order", "OrderItem", "OutboxMessage",
    "Payment", "PaymentDiscrepancy", "PaymentNotification", "PaymentRefund", "PrestockPlanItem",
    "PrestockSettings", "Product", "ProductView", "PromotionEvent", "RoundPrize", "RoundShopper",
    "STAFF_ROLES", "Shake", "ShakeRound", "Shopper", "ShopperCompoundDay", "Staff", "StoreSession",
    "VanHold", "VanLoadItem", "Wish", "WishNotice", "utcnow",
]
