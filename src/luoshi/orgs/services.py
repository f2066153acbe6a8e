"""Every write to org units, groups and memberships. Each takes the acting user explicitly,
checks permission through ``luoshi.core.authz``, runs in a transaction and writes audit records."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import authz, badges, paths
from luoshi.core import services as core
from luoshi.orgs.models import Invitation, Membership, OrgGroup, OrgUnit

UNIT_FIELDS = ("code", "name", "short_name", "type", "is_active")


def _root_check(actor) -> None:
    if not authz.is_unrestricted(actor):
        raise PermissionDenied(_("Only a superuser can create a top-level unit."))


@transaction.atomic
def create_unit(actor, *, code: str, name: str, type: str, parent: OrgUnit | None = None,
                short_name: str = "", is_active: bool = True) -> OrgUnit:
    if parent is None:
        _root_check(actor)
    else:
        authz.require_in_unit(actor, "add", OrgUnit, parent)
    unit = OrgUnit(code=code, name=name, short_name=short_name, type=type, parent=parent, is_active=is_active)
    unit.full_clean()
    unit.save()
    paths.place(unit, parent)
    audit.record(actor, "create", unit, None, audit.snapshot(unit))
    return unit


@transaction.atomic
def update_unit(actor, unit: OrgUnit, data: dict, expected_version: int | None = None) -> OrgUnit:
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    authz.require(actor, "change", unit)
    fields = {k: v for k, v in data.items() if k in UNIT_FIELDS}
    new_parent = data.get("parent", unit.parent)
    core.check_version(unit, expected_version)
    if new_parent != unit.parent:
        _move(actor, unit, new_parent)
        unit.refresh_from_db()
    core.apply_changes(actor, unit, fields)
    return unit


def _move(actor, unit: OrgUnit, new_parent: OrgUnit | None) -> None:
    if new_parent is None:
        _root_check(actor)
    else:
        authz.require_in_unit(actor, "add", OrgUnit, new_parent)
        if new_parent.path.startswith(unit.path):
            raise ValidationError({"parent": _("A unit cannot be moved below itself or one of its own units.")})
    before = audit.snapshot(unit)
    paths.move_subtree(OrgUnit.objects.all(), unit, new_parent)
    OrgUnit.objects.filter(pk=unit.pk).update(parent=new_parent, version=F("version") + 1)
    badges.changed()  # paths of a subtree changed (queryset updates send no signal)
    unit.refresh_from_db()
    audit.record(actor, "update", unit, before, audit.snapshot(unit), verb="move")


@transaction.atomic
def delete_unit(actor, unit: OrgUnit) -> None:
    """Delete a unit that nothing depends on; otherwise refuse and suggest deactivating it."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    authz.require(actor, "delete", unit)
    if unit.children.exists() or unit.memberships.exists() or unit.owned_groups.exists():
        raise ValidationError(_("%(unit)s still has units, members or groups; deactivate it instead.") % {"unit": unit})
    for group in unit.groups.all():  # each group's member list changes: audited as the group's update
        before = audit.snapshot(group)
        group.members.remove(unit)
        core.save_if_changed(actor, group, before)
    core.delete(actor, unit)


# Groups ------------------------------------------------------------------------------------

def _check_members_visible(actor, members) -> None:
    for member in members:
        if not authz.can(actor, "view", member):
            raise ValidationError({"members": _("Unit %(code)s is outside your scope.") % {"code": member.code}})


@transaction.atomic
def create_group(actor, *, code: str, name: str, owner: OrgUnit, description: str = "", members=()) -> OrgGroup:
    authz.require_in_unit(actor, "add", OrgGroup, owner)
    _check_members_visible(actor, members)
    group = OrgGroup(code=code, name=name, owner=owner, description=description)
    group.full_clean()
    group.save()
    group.members.set(members)
    audit.record(actor, "create", group, None, audit.snapshot(group))
    return group


@transaction.atomic
def update_group(actor, group: OrgGroup, data: dict, expected_version: int | None = None) -> OrgGroup:
    group = OrgGroup.objects.select_for_update().get(pk=group.pk)
    authz.require(actor, "change", group)
    core.check_version(group, expected_version)
    before = audit.snapshot(group)
    if "owner" in data and data["owner"] != group.owner:
        authz.require_in_unit(actor, "add", OrgGroup, data["owner"])
    for name in ("code", "name", "description", "owner"):
        if name in data:
            setattr(group, name, data[name])
    group.full_clean()
    if "members" in data:
        members = list(data["members"])
        # Units the actor cannot see stay as they are; only visible ones can be added or removed.
        hidden = [m for m in group.members.all() if not authz.can(actor, "view", m)]
        _check_members_visible(actor, members)
        group.members.set([*members, *hidden])
    core.save_if_changed(actor, group, before)
    return group


@transaction.atomic
def delete_group(actor, group: OrgGroup) -> None:
    authz.require(actor, "delete", group)
    before = audit.snapshot(group)
    audit.record(actor, "delete", group, before, None)
    group.delete()


# Memberships -------------------------------------------------------------------------------

def _check_appointment(actor, unit: OrgUnit, role: str, covers_below: bool) -> None:
    """A role reaches no further than the appointing admin: admins, and roles covering the
    units below, only where the actor's own grant covers that unit and below."""
    if authz.is_unrestricted(actor):
        return
    if role == "admin" and not any(g.role == "admin" and g.covers_below and unit.path.startswith(g.path)
                                   for g in authz.grants(actor)):
        raise PermissionDenied(_("You cannot appoint an administrator there."))
    if covers_below and not authz.covers_subtree(actor, "add", Membership, unit):
        raise PermissionDenied(_("You cannot give a role covering the units below, which you do not administer."))


def person_in_scope(actor, user) -> bool:
    """May ``actor`` treat ``user`` as someone they already know: a superuser, someone holding a
    membership the actor can see, or an account the actor created that has no membership yet?"""
    if authz.is_unrestricted(actor) or actor.pk == user.pk:
        return True
    if authz.scope(actor, Membership).filter(user=user).exists():
        return True
    if Membership.objects.filter(user=user).exists():
        return False
    from django.contrib.contenttypes.models import ContentType

    from luoshi.audit.models import AuditRecord

    return AuditRecord.objects.filter(content_type=ContentType.objects.get_for_model(type(user)), object_id=str(user.pk),
                                      action="create", actor=actor).exists()


@transaction.atomic
def add_membership(actor, *, user, unit: OrgUnit, role: str, covers_below: bool = True) -> Membership:
    """Give ``user`` a role in ``unit`` directly: only for people already in the actor's scope
    (see ``person_in_scope``); anyone else is invited with ``add_or_invite``."""
    authz.require_in_unit(actor, "add", Membership, unit)
    _check_appointment(actor, unit, role, covers_below)
    if not person_in_scope(actor, user):
        raise PermissionDenied(_("This person is outside your units; invite them instead."))
    return _create_membership(actor, user, unit, role, covers_below)


def _create_membership(actor, user, unit: OrgUnit, role: str, covers_below: bool) -> Membership:
    membership = Membership(user=user, unit=unit, role=role, covers_below=covers_below)
    core.create(actor, membership)
    authz.forget(user)
    return membership


@transaction.atomic
def add_or_invite(actor, *, username: str, unit: OrgUnit, role: str, covers_below: bool = True) -> str:
    """The members form: add someone in scope at once, otherwise invite them.

    Returns ``"added"`` or ``"invited"``; ``"invited"`` is also the answer for a username that
    does not exist (or is inactive, or already invited or a member), so the form cannot be used
    to find out who has an account.
    """
    from django.contrib.auth import get_user_model

    authz.require_in_unit(actor, "add", Membership, unit)
    _check_appointment(actor, unit, role, covers_below)
    user = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if user is not None and person_in_scope(actor, user):
        if Membership.objects.filter(user=user, unit=unit, role=role).exists():
            raise ValidationError(_("%(user)s already holds this role here.") % {"user": user.get_username()})
        _create_membership(actor, user, unit, role, covers_below)
        return "added"
    # (No membership check here: the admin grant that lets the actor add members in ``unit`` also
    # shows them every membership in it, so anyone holding a role here is in scope, handled above.)
    if user is not None and not Invitation.objects.filter(user=user, unit=unit, role=role,
                                                          state=Invitation.State.PENDING).exists():
        invitation = Invitation(user=user, unit=unit, role=role, covers_below=covers_below, invited_by=actor)
        core.create(actor, invitation)  # the person sees it on their home page
    return "invited"


def _require_may_decide(actor, invitation: Invitation) -> None:
    """The invited person decides, or an administrator who manages their account."""
    if actor.pk == invitation.user_id:
        return
    from luoshi.accounts.services import _require_manages

    _require_manages(actor, invitation.user)


@transaction.atomic
def decide_invitation(actor, invitation: Invitation, accept: bool) -> Membership | None:
    invitation = Invitation.objects.select_for_update().select_related("user", "unit").get(pk=invitation.pk)
    _require_may_decide(actor, invitation)
    if invitation.state != Invitation.State.PENDING:
        raise ValidationError(_("This invitation was already answered."))
    before = audit.snapshot(invitation)
    invitation.state = Invitation.State.ACCEPTED if accept else Invitation.State.DECLINED
    invitation.decided_by = actor
    invitation.decided_at = timezone.now()
    invitation.version += 1
    invitation.save()
    audit.record(actor, "update", invitation, before, audit.snapshot(invitation), verb="accept" if accept else "decline")
    if not accept or Membership.objects.filter(user=invitation.user, unit=invitation.unit, role=invitation.role).exists():
        return None
    return _create_membership(invitation.invited_by or actor, invitation.user, invitation.unit, invitation.role,
                              invitation.covers_below)


@transaction.atomic
def update_membership(actor, membership: Membership, data: dict, expected_version: int | None = None) -> Membership:
    membership = Membership.objects.select_for_update().select_related("unit", "user").get(pk=membership.pk)
    authz.require(actor, "change", membership)
    _check_appointment(actor, membership.unit, data.get("role", membership.role),
                       data.get("covers_below", membership.covers_below))
    core.apply_changes(actor, membership, {k: v for k, v in data.items() if k in ("role", "covers_below")}, expected_version)
    # (no authz.forget: grants are cached on a user object, and this membership's user was just read
    # here; the caller's own objects keep theirs, as for any change made in another request)
    return membership


@transaction.atomic
def remove_membership(actor, membership: Membership) -> None:
    authz.require(actor, "delete", membership)
    core.delete(actor, membership)
    authz.forget(membership.user)


# Import ------------------------------------------------------------------------------------

IMPORT_COLUMNS = ["code", "name", "type", "parent_code"]
IMPORT_OPTIONAL = ["short_name"]


def _type_lookup() -> dict[str, str]:
    from django.utils import translation

    from luoshi.orgs.models import UnitType

    lookup: dict[str, str] = {}
    for value, label in UnitType.choices:
        lookup[value] = value
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                lookup[str(label).lower()] = value
    return lookup


def validate_import(actor, rows: list[tuple[int, dict[str, str]]], filename: str):
    """Check every row; return (plan, errors). Nothing is written.

    ``rows`` are ``read_table``'s: every row holds every column of ``IMPORT_COLUMNS`` (``short_name``
    only when the file has that column) and its row number."""
    from luoshi.core.tabular import RowError

    errors: list[RowError] = []
    types = _type_lookup()

    def err(row: int, field: str, message: str) -> None:
        errors.append(RowError(filename, row, field, message))

    seen: dict[str, int] = {}
    file_rows: dict[str, tuple[int, dict[str, str]]] = {}
    for number, values in rows:
        code, name = values["code"], values["name"]
        ok = True
        if not code:  # (no ``ok = False``: a row without a code is never kept, see ``code and ok`` below)
            err(number, "code", _("required"))
        else:
            try:
                OrgUnit._meta.get_field("code").run_validators(code)
            except ValidationError as exc:
                err(number, "code", " ".join(exc.messages)); ok = False
        if code and code in seen:
            err(number, "code", _("duplicate code %(code)s (first in row %(row)s)") % {"code": code, "row": seen[code]}); ok = False
        if not name:
            err(number, "name", _("required"))
        elif len(name) > 200:
            err(number, "name", _("longer than 200 characters"))
        if len(values.get("short_name", "")) > 60:
            err(number, "short_name", _("longer than 60 characters"))
        raw_type = values["type"]
        if raw_type.lower() not in types:
            err(number, "type", _("unknown type %(type)r; use one of %(types)s") % {"type": raw_type, "types": ", ".join(sorted(set(types.values())))})
        else:
            values["type"] = types[raw_type.lower()]
        if values["parent_code"] and values["parent_code"] == code:
            err(number, "parent_code", _("a unit cannot be its own parent")); ok = False
        if code and ok:
            seen[code] = number
            file_rows[code] = (number, values)

    codes = set(file_rows) | {v["parent_code"] for _n, v in file_rows.values() if v["parent_code"]}
    db_units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    ancestor_ids = {pk for u in db_units.values() for pk in u.ancestor_ids()}
    by_id = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ancestor_ids)} | {u.pk: u for u in db_units.values()}

    by_code = {u.code: u for u in by_id.values()}

    def db_parent_code(code: str) -> str | None:
        unit = by_code.get(code)
        if unit is None or unit.parent_id is None:
            return None
        return by_id[unit.parent_id].code  # by_id holds every ancestor (by path) of every unit read

    for code, (number, values) in file_rows.items():
        parent_code = values["parent_code"]
        existing = db_units.get(code)
        if existing is not None and not authz.can(actor, "change", existing):
            if authz.can(actor, "view", existing) and _row_matches(existing, values, db_parent_code(code)):
                continue  # e.g. an exported ancestor the importer may only see: nothing to change
            err(number, "code", _("unit %(code)s already exists outside what you may change") % {"code": code})
            continue
        if not parent_code:
            if not authz.is_unrestricted(actor) and not (existing and existing.parent_id is None):
                err(number, "parent_code", _("required (only a superuser can create top-level units)"))
            continue
        # A parent that exists is checked even when the file lists it too (an exported ancestor the
        # importer may only see is listed, unchanged): the rows of new units are written unchecked.
        if parent_code in db_units or parent_code not in file_rows:
            parent = db_units.get(parent_code)
            if parent is None or not authz.can(actor, "view", parent):
                err(number, "parent_code", _("unknown unit %(code)s (not in this file, nor visible to you)") % {"code": parent_code})
                continue
            moving = existing is None or existing.parent_id != parent.pk
            if moving and not authz.can_in_unit(actor, "add", OrgUnit, parent):
                err(number, "parent_code", _("you may not add units under %(code)s") % {"code": parent_code})
                continue
        # Cycle check on the tree as it would be after the import.
        chain, current = {code}, parent_code
        while current:
            if current in chain:
                err(number, "parent_code", _("cycle: %(code)s would end up below itself") % {"code": code})
                break
            chain.add(current)
            current = file_rows[current][1]["parent_code"] if current in file_rows else db_parent_code(current)
    return file_rows, db_units, errors


def _row_matches(unit: OrgUnit, values: dict[str, str], parent_code: str | None) -> bool:
    """Would importing ``values`` leave ``unit`` exactly as it is?"""
    return (unit.name == values.get("name") and unit.type == values.get("type")
            and ("short_name" not in values or unit.short_name == values["short_name"])
            and (values["parent_code"] or None) == parent_code)


IMPORT_BATCH = 200


def import_units(actor, rows: list[tuple[int, dict[str, str]]], filename: str) -> dict[str, int]:
    """Create or update units from table rows, all or nothing. Raises ``TableError``.

    Every row is validated first, without writing. Then new units are written level by level in
    batches of ``IMPORT_BATCH`` (one INSERT and one UPDATE of paths each, with their audit
    records), and changed units in batches after them, each batch in its own short transaction, so
    other users' writes wait at most about one batch on SQLite. If a batch fails (e.g. someone
    created the same code meanwhile), the batches already written are undone and the error raised:
    the importer gets all or nothing.
    """
    from luoshi.core.batches import chunks, write_in_batches
    from luoshi.core.tabular import RowError, TableError

    file_rows, db_units, errors = validate_import(actor, rows, filename)
    if errors:
        raise TableError(sorted(errors, key=lambda e: (e.row, e.field)))

    def depth_in_file(code: str) -> int:
        depth, current = 0, file_rows[code][1]["parent_code"]
        while current in file_rows:
            depth, current = depth + 1, file_rows[current][1]["parent_code"]
        return depth

    ordered = sorted(file_rows, key=lambda c: (depth_in_file(c), file_rows[c][0]))
    units = dict(db_units)
    parent_codes = dict(OrgUnit.objects.filter(pk__in={u.parent_id for u in db_units.values() if u.parent_id})
                        .values_list("pk", "code"))
    creations: dict[int, list[str]] = {}
    changes: list[str] = []
    for code in ordered:
        existing = db_units.get(code)
        if existing is None:
            creations.setdefault(depth_in_file(code), []).append(code)
        elif not _row_matches(existing, file_rows[code][1], parent_codes.get(existing.parent_id)):
            changes.append(code)

    def create(codes) -> list[tuple]:
        new = []
        for code in codes:
            values = file_rows[code][1]
            parent = units.get(values["parent_code"])  # None for "": no unit has an empty code
            new.append(OrgUnit(parent=parent, code=code, name=values["name"], type=values["type"],
                               short_name=values.get("short_name", "")))
        OrgUnit.objects.bulk_create(new)
        for unit in new:
            unit.path = paths.path_below(unit.parent, unit.pk)
            unit.depth = unit.parent.depth + 1 if unit.parent is not None else 0
            units[unit.code] = unit
        OrgUnit.objects.bulk_update(new, ["path", "depth"])
        audit.record_many(audit.build(actor, "create", u, None, audit.snapshot(u), verb="import") for u in new)
        return [("create", unit.pk) for unit in new]

    def change(codes) -> list[tuple]:
        done = []
        for code in codes:
            values = file_rows[code][1]
            existing = OrgUnit.objects.select_for_update().get(pk=db_units[code].pk)
            parent = units.get(values["parent_code"])  # None for "": no unit has an empty code
            if parent is not None:
                parent.refresh_from_db(fields=["path", "depth"])
            data = {"name": values["name"], "type": values["type"]}
            if "short_name" in values:
                data["short_name"] = values["short_name"]
            undo_entry = ("update", existing.pk, existing.parent_id, {k: getattr(existing, k) for k in data})
            if parent != existing.parent and (parent is not None or existing.parent_id is not None):
                _move(actor, existing, parent)
                existing.refresh_from_db()
            core.apply_changes(actor, existing, data, verb="import")
            done.append(undo_entry)
        return done

    def undo(entries: list[tuple]) -> None:
        for entry in reversed(entries):
            if entry[0] == "create":
                unit = OrgUnit.objects.filter(pk=entry[1]).first()
                if unit is not None:
                    audit.record(actor, "delete", unit, audit.snapshot(unit), verb="import undone")
                    unit.delete()
                continue
            _kind, pk, parent_id, values = entry
            unit = OrgUnit.objects.select_for_update().get(pk=pk)
            before = audit.snapshot(unit)
            if unit.parent_id != parent_id:
                old_parent = OrgUnit.objects.get(pk=parent_id) if parent_id else None
                paths.move_subtree(OrgUnit.objects.all(), unit, old_parent)
                OrgUnit.objects.filter(pk=pk).update(parent=old_parent)
                badges.changed()
                unit.refresh_from_db()
            for name, value in values.items():
                setattr(unit, name, value)
            unit.full_clean()
            # one record of the unit put back, its move included (the version moves once, there)
            core.save_if_changed(actor, unit, before, verb="import undone")

    batches = [chunk for depth in sorted(creations) for chunk in chunks(creations[depth], IMPORT_BATCH)]
    batches += list(chunks(changes, max(1, IMPORT_BATCH // 5)))  # moves rewrite subtrees: smaller batches

    def write(batch) -> list[tuple]:
        return create(batch) if batch[0] not in db_units else change(batch)

    try:
        write_in_batches(batches, write, undo)
    except IntegrityError:
        raise TableError([RowError(filename, None, "code", _(
            "another user created or changed the same units while the file was being imported; nothing "
            "was imported, please try again"))]) from None
    created = sum(len(c) for c in creations.values())
    return {"created": created, "updated": len(changes), "unchanged": len(file_rows) - created - len(changes)}


def export_rows(units) -> tuple[list[str], list[list[str]]]:
    header = [*IMPORT_COLUMNS, *IMPORT_OPTIONAL]
    rows = [[u.code, u.name, u.type, u.parent.code if u.parent_id else "", u.short_name]
            for u in units.select_related("parent").order_by("path")]
    return header, rows
