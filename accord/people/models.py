"""Users and their roles, sales teams with their business calendars, absences and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import date, time

from django.contrib.auth.models import AbstractUser
from django.db import connection, models
from django.utils import timezone

from accord.core.calendar import BusinessCalendar
from accord.core.models import BaseModel
from accord.core.rows import row_columns, row_instance


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MARKETING = "marketing", "Marketing"
    MARKETING_HEAD = "marketing_head", "Marketing head"
    SALES_REP = "sales_rep", "Sales rep"
    SALES_MANAGER = "sales_manager", "Sales manager"
    SALES_HEAD = "sales_head", "Sales head"
    EXECUTIVE = "executive", "Executive"


# The role groups (who sees and acts on what) live in accord.people.access.


class TeamKind(models.TextChoices):
    VERTICAL = "vertical", "Vertical industry"
    CUSTOMER_GROUP = "customer_group", "Customer group"
    TERRITORY = "territory", "Territory"


class Team(BaseModel):
    """A sales team, organised by vertical, customer group or territory, with its working calendar."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=TeamKind.choices, default=TeamKind.VERTICAL)
    segment = models.CharField(
        max_length=120, blank=True, help_text="The vertical, customer group or territory served."
    )
    manager = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    work_start = models.TimeField(default=time(9, 0))
    work_end = models.TimeField(default=time(18, 0))
    workdays = models.CharField(
        max_length=7, default="12345", help_text="ISO weekday digits: 1 = Monday ... 7 = Sunday."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(work_end__gt=models.F("work_start")), name="team_hours_order"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            tz=self.time_zone,
            start=self.work_start,
            end=self.work_end,
            workdays=frozenset(int(d) for d in self.workdays),
            holidays=frozenset(self.holidays.values_list("day", flat=True)),
        )


class TeamHoliday(models.Model):
    """A day the team does not work; SLA clocks skip it."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="holidays")
    day = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["team", "day"], name="team_holiday_unique")]

    def __str__(self) -> str:
        return f"{self.team}: {self.day} {self.name}".strip()


class User(AbstractUser):
    """A person who signs in. Roles are rows in UserRole; a user may hold several."""

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    title = models.CharField(max_length=120, blank=True)

    # Per-request caches on the user object, set on first use (not fields): ``role_set`` and
    # ``accord.people.access.managed_user_ids``.
    _role_cache: frozenset[str] | None
    _managed_ids_cache: frozenset[int]

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def role_set(self) -> frozenset[str]:
        cached = getattr(self, "_role_cache", None)
        if cached is None:
            cached = self.roles_known(_roles_of(self.pk) if self.pk else [])
        return cached

    def roles_known(self, roles: Iterable[str]) -> frozenset[str]:
        """Set ``role_set`` from roles read with the user (saves ``role_set`` its own read)."""
        known = frozenset(roles)
        self._role_cache = known | {Role.ADMIN} if self.is_superuser else known
        return self._role_cache

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set & set(roles))

    def manager_chain(self) -> list[User]:
        """This user's manager, their manager, and so on up (cycles are cut)."""
        chain: list[User] = []
        seen = {self.pk}
        current = self.manager
        while current is not None and current.pk not in seen:
            chain.append(current)
            seen.add(current.pk)
            current = current.manager
        return chain

    def is_away(self, on: date | None = None) -> bool:
        day = on or timezone.localdate()
        return self.absences.filter(start__lte=day, end__gte=day).exists()


def _roles_of(user_id: int) -> list[str]:
    # Read on every signed-in request and API call: a prepared statement, not a compiled queryset.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT role FROM {UserRole._meta.db_table} WHERE user_id = %s", [user_id])
        return [role for (role,) in cursor.fetchall()]


class UserRole(models.Model):
    """One role held by one user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="user_role_unique")]

    def __str__(self) -> str:
        return f"{self.user.username}: {self.get_role_display()}"


class Absence(models.Model):
    """A period a user is away (holiday, leave); routing skips them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="absences")
    start = models.DateField()
    end = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="absence_order")
        ]

    def __str__(self) -> str:
        return f"{self.user} away {self.start}..{self.end}"


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def authenticate(self, raw: str) -> ApiToken | None:
        """The live token whose hash matches ``raw``, with its (active) user and the user's roles.

        Every API call runs this, so it is one prepared statement: the token, its user and the
        user's roles in one round trip (three reads before; compiling the joined query with the ORM
        would cost more CPU than the three)."""
        token_table, user_table = ApiToken._meta.db_table, User._meta.db_table
        roles = (
            "string_agg(r.role, ',')" if connection.vendor == "postgresql" else "group_concat(r.role, ',')"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {row_columns(ApiToken, 't')}, {row_columns(User, 'u')}, "
                f"(SELECT {roles} FROM {UserRole._meta.db_table} r WHERE r.user_id = u.id) "
                f"FROM {token_table} t JOIN {user_table} u ON u.id = t.user_id "
                "WHERE t.key_hash = %s AND t.revoked_at IS NULL AND u.is_active LIMIT 1",
                [_token_hash(raw)],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        split = len(ApiToken._meta.concrete_fields)
        token = row_instance(ApiToken, row[:split])
        user = row_instance(User, row[split:-1])
        user.roles_known(row[-1].split(",") if row[-1] else [])
        token.user = user
        return token


class ApiToken(BaseModel):
    """A personal API token. Only its hash is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=120, default="API token")
    prefix = models.CharField(max_length=12, help_text="First characters, to tell tokens apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.user.username}: {self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str]:
        """A new raw token and its hash."""
        raw = "acc_" + secrets.token_urlsafe(32)
        return raw, _token_hash(raw)


class CalendarFeed(BaseModel):
    """The secret that opens a person's iCalendar feed (``/calendar/<user id>/<secret>.ics``).

    Calendar apps cannot sign in, so the URL itself is the key: a random secret compared in constant
    time. It is kept (not only its hash) so the person can copy their URL again; resetting it makes a
    new secret and the old URL stops working at once.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="calendar_feed")
    secret = models.CharField(max_length=64)
    reset_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user.username}: calendar feed"

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)


class LoginFailure(models.Model):
    """One failed sign-in for a username from an address; enough of them lock that pair (or the whole
    address, counted across usernames) out a while.

    Kept in the database (not a per-process cache) so every web process counts the same failures.
    """

    username = models.CharField(max_length=150, help_text="Lower-cased, as typed.")
    address = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["username", "address", "created_at"], name="login_failure_key_time"),
            # The per-address count (failures for any username from one address).
            models.Index(fields=["address", "created_at"], name="login_failure_address_time"),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.address} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class TotpDevice(BaseModel):
    """A user's authenticator app (RFC 6238 TOTP). Sign-in asks for a code once ``confirmed_at`` is set.

    ``last_counter`` is the time step of the last accepted code, so a code cannot be used twice.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64, help_text="Base32 shared secret.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_counter = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "not confirmed"
        return f"{self.user.username}: authenticator app ({state})"
