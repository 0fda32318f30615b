class FindingError(Exception):
    """A request on a finding that is not allowed or not valid; the message is for the user."""
