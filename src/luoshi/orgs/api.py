"""``/api/v1/org-units``: list, read, create and update units, scoped like everything else."""


from ninja import Router, Schema, Status
from ninja.pagination import paginate

from luoshi.core import authz
from luoshi.core.paging import Pages
from luoshi.core import services as core_services
from luoshi.orgs import queries, services
from luoshi.orgs.models import OrgUnit, UnitType

router = Router(tags=["org units"])


class OrgUnitOut(Schema):
    code: str
    name: str
    short_name: str
    type: str
    parent_code: str | None
    is_active: bool
    version: int

    @staticmethod
    def resolve_parent_code(obj: OrgUnit) -> str | None:
        return obj.parent.code if obj.parent_id else None


class OrgUnitIn(Schema):
    code: str
    name: str
    type: UnitType
    parent_code: str | None = None
    short_name: str = ""


class OrgUnitPatch(Schema):
    name: str | None = None
    short_name: str | None = None
    type: UnitType | None = None
    parent_code: str | None = None
    is_active: bool | None = None
    version: int | None = None


@router.get("", response=list[OrgUnitOut], summary="List org units in scope")
@paginate(Pages)
def list_units(request, type: UnitType | None = None, parent: str | None = None, q: str = ""):
    parent_unit = authz.get_or_404(request.user, OrgUnit, code=parent) if parent else None
    return queries.units(request.user, type=type, parent=parent_unit, q=q)


@router.get("/{code}", response=OrgUnitOut, summary="One org unit")
def get_unit(request, code: str):
    return authz.get_or_404(request.user, OrgUnit.objects.select_related("parent"), code=code)


@router.post("", response={201: OrgUnitOut}, summary="Create an org unit")
def create_unit(request, payload: OrgUnitIn):
    parent = authz.get_or_404(request.user, OrgUnit, code=payload.parent_code) if payload.parent_code else None
    unit = services.create_unit(request.user, code=payload.code, name=payload.name, type=payload.type,
                                parent=parent, short_name=payload.short_name)
    return Status(201, unit)


@router.patch("/{code}", response=OrgUnitOut, summary="Change an org unit (send the version you read)")
def update_unit(request, code: str, payload: OrgUnitPatch):
    unit = authz.get_or_404(request.user, OrgUnit, code=code)
    data = payload.dict(exclude_unset=True)
    core_services.refuse_nulls(data, nullable=("version", "parent_code"))
    version = core_services.require_version(data.pop("version", None))
    if "parent_code" in data:
        code_ = data.pop("parent_code")
        data["parent"] = authz.get_or_404(request.user, OrgUnit, code=code_) if code_ else None
    return services.update_unit(request.user, unit, data, expected_version=version)
