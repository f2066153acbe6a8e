from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from luoshi.accounts import queries, services
from luoshi.accounts.forms import AccountForm, PasswordChangeForm, TokenForm
from luoshi.accounts.models import ApiToken
from luoshi.core import authz
from luoshi.core.forms import attach_errors
from luoshi.orgs import queries as org_queries
from luoshi.orgs.models import Membership


def address_failures(request: HttpRequest) -> int:
    """Failed log-ins from the request's address within the cool-off, whatever the usernames."""
    from datetime import timedelta

    from axes.helpers import get_client_ip_address
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Sum
    from django.utils import timezone

    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    address = get_client_ip_address(request)
    total = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(n=Sum("failures_since_start"))["n"]
    return total or 0


class LoginView(auth_views.LoginView):
    """Django's log-in, plus a limit per address across usernames (password spraying); django-axes
    already locks a username and address pair after a few failures."""

    def post(self, request, *args, **kwargs):
        from django.conf import settings

        if settings.AXES_ENABLED and address_failures(request) >= settings.LUOSHI_LOGIN_ADDRESS_LIMIT:
            return render(request, "accounts/locked_out.html", status=429)
        return super().post(request, *args, **kwargs)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    new_secret = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, new_secret = services.create_token(request.user, request.user, form.cleaned_data["name"])
        messages.success(request, _("Token created. Copy it now: it will not be shown again."))
        form = TokenForm()
    items = ApiToken.objects.filter(user=request.user)
    return render(request, "accounts/tokens.html", {"form": form, "tokens": items, "new_secret": new_secret})


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise Http404("not found")
    services.revoke_token(request.user, token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    if not authz.has_any_role(request.user, "admin"):
        raise PermissionDenied(_("Accounts are managed by administrators."))
    q = request.GET.get("q", "")
    page = Paginator(queries.users(request.user, q), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/users.html", {"page": page, "q": q})


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    units = authz.units_where(request.user, "add", Membership).order_by("path")
    if not units.exists():
        raise PermissionDenied(_("Accounts are managed by administrators."))
    initial = {}
    if request.GET.get("unit"):
        initial["unit"] = units.filter(code=request.GET["unit"]).first()
    form = AccountForm(request.POST or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = services.create_account(
                request.user, unit=data["unit"], username=data["username"], role=data["role"],
                display_name=data["display_name"], email=data["email"], covers_below=data["covers_below"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return render(request, "accounts/user_created.html", {"account": user, "password": password})
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    account = queries.user_or_404(request.user, username)
    new_password = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reset":
            new_password, revoked = services.reset_password(request.user, account)
            messages.success(request, _("A new password was set. Give it to the person; it is shown only now."))
            messages.info(request, _tokens_revoked_message(revoked))
        elif action in ("deactivate", "activate"):
            services.set_account_active(request.user, account, action == "activate")
            messages.success(request, _("Saved."))
            return redirect("accounts:user", username=account.username)
    return render(request, "accounts/user_detail.html", {
        "account": account, "memberships": queries.memberships(request.user, account), "new_password": new_password,
        "invitations": list(org_queries.invitations_for(request.user, account)),
    })


def _tokens_revoked_message(count: int) -> str:
    if not count:
        return _("Any API tokens are revoked with a new password; this account had none active.")
    return ngettext("%(count)d API token was revoked with the old password; create a new one for scripts.",
                    "%(count)d API tokens were revoked with the old password; create new ones for scripts.", count) % {"count": count}


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revoked = services.change_own_password(request.user, form.cleaned_data["old_password"], form.cleaned_data["new_password"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            messages.info(request, _tokens_revoked_message(revoked))
            return redirect("core:home")
    return render(request, "accounts/password_change.html", {"form": form})
