"""Custom search attributes journeys set, for filtering runs in the Temporal UI and CLI."""

from temporalio.common import SearchAttributeKey

CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
JOURNEY_KIND = SearchAttributeKey.for_keyword("JourneyKind")
JOURNEY_STEP = SearchAttributeKey.for_keyword("JourneyStep")
INTENT_SEGMENT = SearchAttributeKey.for_keyword("IntentSegment")

ALL = (CUSTOMER_ID, JOURNEY_KIND, JOURNEY_STEP, INTENT_SEGMENT)
