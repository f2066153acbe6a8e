"""``/api/v1/me``: who the caller is and where they hold roles."""


from ninja import Router, Schema

from luoshi.core import authz

router = Router(tags=["me"])


class GrantOut(Schema):
    unit_id: int
    role: str
    covers_below: bool


class MeOut(Schema):
    username: str
    is_superuser: bool
    memberships: list[GrantOut]


@router.get("", response=MeOut, summary="The authenticated user")
def me(request):
    grants = [GrantOut(unit_id=g.unit_id, role=g.role, covers_below=g.covers_below) for g in authz.grants(request.user)]
    return MeOut(username=request.user.username, is_superuser=request.user.is_superuser, memberships=grants)
