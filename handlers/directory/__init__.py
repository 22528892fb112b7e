"""The cluster directory: listing consent, FIND and introductions from it.

This file is the FIND capability's interface for handlers.routes and handlers.answers; the work
is in its parts: search (FIND, MORE, choosing a result), ranking (what fits, in which order),
showing (a result's line), introductions (asking a listed member, institutions' contacts).
Listing consent (handlers.directory.consent) is a capability of its own."""
from handlers.directory.introductions import open_invitations
from handlers.directory.search import FLOW, find, more, on_choice, on_what

__all__ = ["FLOW", "STEPS", "KEYWORDS", "open_invitations"]

KEYWORDS = {"find": find, "more": more}
STEPS = {"ask_what": on_what, "choose": on_choice}
