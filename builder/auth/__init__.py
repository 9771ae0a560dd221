"""Users and access: who may use the editor and the API, with which role, and the audit log.

For views: `requires(role)` guards a view, `current_identity()` says who is asking (an
`Identity`), `audit(action, target_kind, target_id, detail)` records what they did. `public`
opens a view or blueprint to everyone; `changes_nothing` spares a POST that changes nothing
the CSRF token. `init_app(app, runtime)` installs the check on every request.
"""

from .access import CSRF_HEADER, audit, changes_nothing, init_app, public, requires
from .identity import Identity, current_identity
from .roles import LANGUAGES, ROLES

__all__ = ["CSRF_HEADER", "Identity", "LANGUAGES", "ROLES", "audit", "changes_nothing",
           "current_identity", "init_app", "public", "requires"]
