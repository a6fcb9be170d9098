"""The figures the system cannot measure, entered by hand or imported: visits from gate counters
(到馆人次) and the fields of the national annual table per unit and year (staff, area, seats,
computers, e-resources, periodicals, income and expenditure)."""
