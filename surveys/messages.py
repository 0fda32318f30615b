"""Messages users see, as translatable constants; services, views and tests share them."""

from django.utils.translation import gettext_lazy as _

REASON_REQUIRED = _("Give a reason for excluding this response.")
ALREADY_EXCLUDED = _("This response is already excluded.")
PERIOD_CLOSED = _("The month of this response is closed; its scores are frozen.")
RESOLUTION_REQUIRED = _("A case can be closed only with a resolution.")
CASE_ALREADY_CLOSED = _("This case is already closed.")
CONTACT_NOTE_REQUIRED = _("Say how the customer was contacted and what they said.")
CONTACT_IN_FUTURE = _("The contact time cannot be in the future.")
CATEGORY_REQUIRED = _("Choose a complaint category: the call found a problem.")
TEMPLATE_NOT_DRAFT = _("Only a draft can be published.")
TEMPLATE_INVALID = _("The questions of this template are not valid: %(problems)s")
NO_PUBLISHED_TEMPLATE = _("There is no published survey template.")

ANSWER_REQUIRED = _("Please answer this question.")
SCORE_RANGE = _("Choose a score from 1 to 5.")
NPS_RANGE = _("Choose a number from 0 to 10.")

EXCLUDED_OK = _("Response %(response)s is excluded and no longer counts.")
FLAG_KEPT_OK = _("The flag is cleared; the response keeps counting.")
CONTACT_OK = _("The contact is recorded.")
CLOSED_OK = _("The case is closed.")
CALL_OK = _("The call is recorded.")
CALL_COMPLAINT_OK = _("The call is recorded and complaint %(complaint)s is opened.")
RO_NOT_FOUND = _("No repair order with this number at this dealer.")

SMS_LINE_COLUMNS = _("Line %(line)d: give three columns — dealer code, RO number, mobile.")
SMS_LINE_MOBILE = _("Line %(line)d: “%(value)s” is not a mainland mobile number (11 digits starting with 1).")
SMS_TOO_MANY_LINES = _("At most %(max)d lines at a time.")
SMS_MORE_PROBLEMS = _("… and %(count)d more lines with problems.")
SMS_NO_LINES = _("Paste at least one line.")
SMS_UNKNOWN_ORDERS = _(
    "No invitation for these repair orders (dealer code and RO number): %(orders)s. Nothing was sent."
)
SMS_SENT = _("%(sent)d survey links sent by SMS; %(skipped)d skipped (answered or expired).")
