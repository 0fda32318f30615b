class SupportError(Exception):
    """A request on a case that is not allowed or not valid; the message is for the user."""
