from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ils.validation import Count


class TransitRead(BaseModel):
    id: int
    barcode: str
    title: str
    call_number: str | None
    from_unit: str
    to_unit: str
    reason: Literal["hold", "home", "float", "transfer", "distribution"]
    reference: str | None
    status: Literal["open", "received", "cancelled"]
    created_at: datetime
    created_by: str
    closed_at: datetime | None
    closed_unit: str | None
    promised_on: date | None = Field(default=None, description="The day the timetable promises it")
    path: list[dict[str, str]] | None = None


class ReturnPolicyWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system_code: str = Field(default="*", description="Code of the 总馆 whose copies this governs, or *")
    item_type: str = Field(default="*", examples=["children"])
    policy: Literal["home", "float", "adaptive"]
    float_group: str | None = Field(default=None, description="Float only within this group")


class ReturnPolicyRead(ReturnPolicyWrite):
    id: int
    updated_at: datetime
    updated_by: str


class FloatGroupWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    units: list[str] = Field(description="Unit codes")


class FloatGroupRead(FloatGroupWrite):
    code: str


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class RouteStopWrite(BaseModel):
    """A unit the van calls at, or (a mobile library's route) a place it parks."""

    model_config = ConfigDict(extra="forbid")

    unit: str | None = Field(default=None, examples=["DC-TDZ"])
    place: str | None = Field(default=None, max_length=200, examples=["舍块乡集市"])
    address: str | None = Field(default=None, max_length=500)
    time: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["10:30"])


class RouteDayWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date
    runs: bool = Field(description="true: an extra run that day; false: no run that day")
    reason: str | None = Field(default=None, max_length=200, examples=["国庆节"])


class RouteWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["北线"])
    vehicle: str | None = Field(default=None, max_length=100, examples=["1 号物流车 云A·D1234"])
    mobile_unit: str | None = Field(default=None, description="The mobile library this route is the day of",
                                    examples=["DC-MOB"])
    weekdays: list[Weekday] = Field(examples=[["tue", "fri"]])
    stops: list[RouteStopWrite] = Field(min_length=2, description="In the order the van calls")
    days: list[RouteDayWrite] = Field(default_factory=list, description="Exceptions to the weekdays")
    active: bool = True


class RouteRead(RouteWrite):
    code: str
    updated_at: datetime


class RunStopRead(BaseModel):
    position: int
    unit: str | None = Field(description="null for a mobile library's place")
    unit_name: str = Field(description="The unit's name, or the place's")
    address: str | None = None
    time: str | None
    arrived_at: datetime | None
    departed_at: datetime | None
    drop: list[str] = Field(description="Barcodes this stop receives from the van")
    collect: list[str] = Field(description="Barcodes the van takes on here")
    crates_drop: list[str] = Field(default_factory=list, description="Crates on this run to hand over here")
    crates_collect: list[str] = Field(default_factory=list,
                                      description="Closed crates waiting here for a later stop of this run")


class StopReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: Literal["arrived", "departed"]


class RunRead(BaseModel):
    """A run sheet: one day of one route, stops in order."""

    route: str
    route_name: str
    vehicle: str | None
    day: date
    status: Literal["planned", "on_road", "done", "cancelled"]
    stops: list[RunStopRead]


class PathHop(BaseModel):
    route: str
    day: date
    from_unit: str = Field(alias="from")
    to_unit: str = Field(alias="to")

    model_config = ConfigDict(populate_by_name=True)


class PathRead(BaseModel):
    from_unit: str
    to_unit: str
    sent_on: date
    promised_on: date | None = Field(description="null: no route connects the units within four weeks")
    hops: list[PathHop]


class PackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    barcode: str
    unit: str = Field(description="Unit packing the crate", examples=["DC-TDZ-01"])


class LoadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    route: str = Field(examples=["DC-NORTH"])
    day: date


class CrateReceiveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: str
    barcodes: list[str] | None = Field(default=None, description="Barcodes scanned out of the crate; "
                                                                  "omitted: the manifest is taken as found")
    damaged: list[str] = Field(default_factory=list, description="Of those, the ones found damaged")


class CrateRead(BaseModel):
    code: str
    trip_id: int
    status: Literal["packing", "closed", "on_run", "received"]
    from_unit: str
    to_unit: str
    route: str | None
    day: date | None
    manifest: list[str]


class Reconciliation(BaseModel):
    crate: CrateRead
    received: list[str]
    missing: list[str] = Field(description="On the manifest, not in the crate")
    extra: list[str] = Field(description="In the crate, not on its manifest")
    damaged: list[str] = Field(default_factory=list, description="Found damaged; they stay here, marked damaged")
    instructions: dict[str, str] = Field(description="Per received barcode: shelve, hold_shelf or transit:UNIT")


class LocationRead(BaseModel):
    barcode: str
    at: str | None = Field(description="The unit the copy (or its crate) is at; null on a run")
    crate: str | None
    run: dict[str, str | None] | None = Field(description="{route, day} while its crate is on a van")


class TransitFigures(BaseModel):
    since: date
    transits: int
    per_day: float
    received: int
    days_on_road_p50: float | None
    days_on_road_p95: float | None
    hold_deliveries: int
    hold_on_time_share: float | None = Field(description="Share of hold transits received by their promised day")
    late_now: int = Field(description="Open transits past their promised day")


class DistributionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["2026 年第 4 批统一采购"])
    method: Literal["population", "quota", "demand"] = Field(
        description="population: by the population each unit serves; demand: by its loans in the last year; "
                    "quota: fixed numbers of copies per unit")
    reason: Literal["distribution", "transfer"] = Field(
        default="distribution", description="distribution: the target becomes the owner; transfer: a rotation")
    barcodes: list[str] = Field(min_length=1)
    units: list[str] = Field(min_length=1, description="Target units")
    quotas: dict[str, Count] | None = Field(default=None, description="For quota: copies per unit code")


class DistributionRead(BaseModel):
    id: int
    name: str
    method: Literal["population", "quota", "demand"]
    reason: Literal["distribution", "transfer"]
    status: Literal["draft", "executed"]
    created_at: datetime
    executed_at: datetime | None
    allocation: dict[str, str] = Field(description="barcode → unit code")
    per_unit: dict[str, int]


class FloatLimitWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: str = Field(examples=["DC-TD-01"])
    item_type: str = Field(default="*", examples=["book"])
    max_copies: Count = Field(description="Floating copies returned here go home once the unit holds this many")
