"""Admin for people: users with their roles, teams with their holidays, absences and API tokens."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accord.people.auth_security import AdminLoginForm
from accord.people.models import (
    Absence,
    ApiToken,
    LoginFailure,
    Team,
    TeamHoliday,
    TotpDevice,
    User,
    UserRole,
)

# The admin login counts failed sign-ins and locks out like the login page does.
admin.site.login_form = AdminLoginForm


class UserRoleInline(admin.TabularInline):
    model = UserRole
    extra = 1


class AbsenceInline(admin.TabularInline):
    model = Absence
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "get_full_name", "email", "team", "manager", "roles_display", "is_active")
    list_filter = ("roles__role", "team", "is_active", "is_superuser")
    list_select_related = ("team", "manager")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("team", "manager")
    inlines = [UserRoleInline, AbsenceInline]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Organisation", {"fields": ("title", "team", "manager")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description="Roles")
    def roles_display(self, user: User) -> str:
        return ", ".join(sorted(r.get_role_display() for r in user.roles.all()))


class TeamHolidayInline(admin.TabularInline):
    model = TeamHoliday
    extra = 1


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "segment", "manager", "time_zone", "work_start", "work_end", "workdays")
    list_filter = ("kind",)
    list_select_related = ("manager",)
    search_fields = ("name", "segment")
    autocomplete_fields = ("manager",)
    inlines = [TeamHolidayInline]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ("user", "start", "end", "reason")
    list_select_related = ("user",)
    list_filter = ("start",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "reason")
    autocomplete_fields = ("user",)
    date_hierarchy = "start"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `accord token create` (the raw value is shown once); here they are
    listed and can be revoked by setting ``revoked_at``. The hash is never editable."""

    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user",)
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username")
    readonly_fields = ("user", "prefix", "key_hash", "created_at", "last_used_at")
    fields = ("user", "name", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TotpDevice)
class TotpDeviceAdmin(admin.ModelAdmin):
    """Authenticator apps. Deleting one resets a user who lost their phone; the secret is never shown."""

    list_display = ("user", "confirmed_at", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = ("user", "confirmed_at", "created_at")
    readonly_fields = ("user", "confirmed_at", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Failed sign-ins; deleting a username's rows lifts its lockout."""

    list_display = ("username", "address", "created_at")
    list_filter = ("created_at",)
    search_fields = ("username", "address")
    readonly_fields = ("username", "address", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
