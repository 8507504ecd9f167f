"""The clerical review workbench: a web app where reviewers decide uncertain pairs.

Reviewers take items from the run's review queue one at a time (each leased to one
reviewer), see the two records side by side with ID numbers masked, and decide
match, not a match, or cannot tell; decisions go straight to the store, where the
next ``yidang link`` follows them. Supervisors see everyone's decisions, settle
disagreements from double review and read the agreement figures. Everything opened,
revealed and decided is audited.
"""

from linkage.review.app import create_app
from linkage.review.config import ReviewConfig
from linkage.review.storage import ReviewStore

__all__ = ["ReviewConfig", "ReviewStore", "create_app"]
