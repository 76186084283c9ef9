"""The one exception a user should see: a problem they can fix, said in one line."""


class UserError(Exception):
    """A mistake in input or settings; the message names the file or setting and the fix."""
