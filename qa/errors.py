"""The one exception a user should see: a problem they can fix, said in one line."""


class UserError(Exception):
    """A mistake in input or settings; the message names the file or setting and the fix."""


def setting_name(field: str) -> str:
    """A setting as a message below the faces names it, "the max paragraphs setting (SOURCEQA_MAX_PARAGRAPHS)".

    The library is called by every face (the CLI, the web app, a program), so it names the setting and its variable,
    not the one face's flag; `qa.settings.OPTIONS` holds each setting's variable (a test checks they agree).
    """
    return f"the {field.replace('_', ' ')} setting (SOURCEQA_{field.upper()})"
