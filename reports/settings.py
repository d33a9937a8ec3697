"""Settings of the reports package; the app nests this model in its one settings object as
`reports` (`REPORTS__CONVERSION_WINDOW=P3D`, `REPORTS__LINK_SECRET=...`).

The KPI windows are the ones PRODUCT.md names (30 days from signup, 24 h from the cart update);
the default conversion window of a message is the product's choice left open, 7 days here.
"""

from datetime import timedelta

from pydantic import BaseModel, Field, SecretStr


class ReportSettings(BaseModel):
    conversion_window: timedelta = Field(
        timedelta(days=7),
        gt=timedelta(0),
        description="a paid order this long after a message converts it, unless the message's "
        "experiment has a conversion metric with a window of its own",
    )
    first_order_window: timedelta = Field(
        timedelta(days=30),
        gt=timedelta(0),
        description="a signup converts when its first paid order comes within this long "
        "(PRODUCT.md: first-order conversion within 30 days of signup)",
    )
    cart_recovery_window: timedelta = Field(
        timedelta(hours=24),
        gt=timedelta(0),
        description="an abandoned cart is recovered when paid within this long after the cart "
        "update (PRODUCT.md: paid within 24 h)",
    )
    winback_return_window: timedelta = Field(
        timedelta(days=30),
        gt=timedelta(0),
        description="a paid order this long after the first winback message is a return",
    )
    default_period: timedelta = Field(
        timedelta(days=30), gt=timedelta(0), description="the period when `since` is not given"
    )
    max_period: timedelta = Field(
        timedelta(days=400), gt=timedelta(0), description="longer periods are refused (422)"
    )
    link_ttl: timedelta = Field(
        timedelta(minutes=15), gt=timedelta(0), description="default life of a signed page link"
    )
    max_link_ttl: timedelta = Field(
        timedelta(hours=24),
        gt=timedelta(0),
        description="longest life a signed report-page link may be asked for; a longer one is "
        "refused (422)",
    )
    link_secret: SecretStr | None = Field(
        None, description="HMAC key of the signed report-page links; unset: a dev secret file"
    )
