"""Logistics (文献物流): where a copy goes and how it gets there.

Transits (one open transit per copy, enforced by the database), the return policy of each
system (home / float, per item type, float groups) and the travel cost between units that hold
targeting uses. Logistics knows units and items but nothing of loans or holds: circulation asks
it where a returned copy goes, and hears of arrivals through ``logistics.public.on_arrival``.
Other packages use it only through ``logistics.public``.
"""
