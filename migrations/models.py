"""Every table of the system, imported in one place so Alembic and the tests see them all."""

import activities.models  # noqa: F401
import catalog.models  # noqa: F401
import circulation.models  # noqa: F401
import circulation.sip2.models  # noqa: F401
import ils.auth.models  # noqa: F401
import ils.events  # noqa: F401
import ils.idempotency  # noqa: F401
import ils.network.models  # noqa: F401
import ils.outbox.models  # noqa: F401
import logistics.models  # noqa: F401
import reports.entries.models  # noqa: F401
import reports.models  # noqa: F401
