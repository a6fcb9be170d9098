"""What the rest of reports (the figures, the annual report, the evaluation) uses of the entered
figures. Pages and the CLI use the use cases directly."""

from reports.entries.annual import Entered
from reports.entries.annual import entered as annual_values
from reports.entries.fields import FIELDS, GROUPS, Field, from_stored
from reports.entries.visits import VisitTotal, visit_totals, visits_by_day

__all__ = ["FIELDS", "GROUPS", "Entered", "Field", "VisitTotal", "annual_values", "from_stored", "visit_totals",
           "visits_by_day"]
