"""What the dormancy decisions need to know about a customer, already aggregated.

The caller builds one ActivitySummary from the customer's events and orders. Behaviour counts
cover the lookback window the caller chooses (for example the 90 days before the last activity),
so a customer who has been away for months is judged on how they behaved while still around.
No personal data: only the customer id and counts.
"""

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


class ActivitySummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: str
    last_activity_at: AwareDatetime = Field(
        description="latest session, page view, click, open or order, whichever is newest"
    )

    # Orders, for the still-active model and coupon share.
    first_order_at: AwareDatetime | None = None
    last_order_at: AwareDatetime | None = None
    order_days: int = Field(default=0, ge=0, description="distinct days with a paid order")
    orders: int = Field(default=0, ge=0)
    coupon_orders: int = Field(default=0, ge=0, description="orders paid with a coupon")

    # Price sensitivity.
    price_filter_uses: int = Field(default=0, ge=0)
    sale_page_views: int = Field(default=0, ge=0)
    abandoned_cart_values_cny: tuple[float, ...] = ()

    # Category fit.
    category_page_views: int = Field(default=0, ge=0)
    distinct_categories_viewed: int = Field(default=0, ge=0)
    out_of_stock_hits: int = Field(default=0, ge=0, description="views of out-of-stock items")

    # Service experience.
    support_tickets: int = Field(default=0, ge=0)
    negative_sentiment_events: int = Field(
        default=0, ge=0, description="negative reviews, complaints, negative-sentiment tickets"
    )

    @model_validator(mode="after")
    def _consistent_orders(self) -> "ActivitySummary":
        if self.coupon_orders > self.orders:
            raise ValueError("coupon_orders cannot exceed orders")
        has_first, has_last = self.first_order_at is not None, self.last_order_at is not None
        if has_first != has_last or has_first != (self.order_days > 0):
            raise ValueError("first_order_at, last_order_at and order_days > 0 go together")
        if self.first_order_at and self.last_order_at and self.last_order_at < self.first_order_at:
            raise ValueError("last_order_at is before first_order_at")
        return self
