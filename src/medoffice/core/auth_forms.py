"""Forms for signing in, two-factor codes, and managing users and their roles."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from medoffice.core.models import Location, User
from medoffice.core.roles import ROLES
from medoffice.core.services.users import username_taken

# One message for an unknown user, a wrong password and a turned-off account,
# so the page never tells a stranger which user names exist.
SIGN_IN_FAILED = (
    "That user name and password do not match an active account. Check both and try again."
)


class SignInForm(AuthenticationForm):
    error_messages = {"invalid_login": SIGN_IN_FAILED, "inactive": SIGN_IN_FAILED}

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your user name."
        self.fields["password"].error_messages["required"] = "Enter your password."


class CodeForm(forms.Form):
    """The 6-digit code from the user's authenticator app."""

    code = forms.CharField(
        label="6-digit code",
        max_length=12,
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
                "pattern": r"[0-9 ]*",
            }
        ),
    )

    def clean_code(self) -> str:
        code = re.sub(r"\s+", "", self.cleaned_data["code"])
        if not re.fullmatch(r"\d{6}", code):
            raise ValidationError("The code is 6 digits, for example 123456.")
        return code


def _role_choices() -> list[tuple[str, str]]:
    return [(r.slug, f"{r.name} — {r.purpose}") for r in ROLES.values()]


class _UserFields(forms.Form):
    first_name = forms.CharField(
        label="First name",
        max_length=150,
        error_messages={"required": "Enter the person's first name."},
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        error_messages={"required": "Enter the person's last name."},
    )
    email = forms.EmailField(
        label="Email",
        required=False,
        error_messages={"invalid": "Enter an email address such as name@example.com."},
    )
    roles = forms.MultipleChoiceField(
        label="Roles",
        required=False,
        choices=_role_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the person may see and do. A user with no role can only sign in.",
    )
    home_location = forms.ModelChoiceField(
        label="Home location",
        queryset=Location.objects.filter(active=True),
        required=False,
        empty_label="(none)",
    )
    require_two_factor = forms.BooleanField(
        label="Require two-factor sign-in (a code from an authenticator app)",
        required=False,
    )


class UserCreateForm(_UserFields):
    username = forms.CharField(
        label="User name",
        max_length=150,
        validators=[User.username_validator],
        help_text="What the person types to sign in: letters, digits and @ . + - _ only.",
        error_messages={
            "required": "Choose a user name.",
            "invalid": "Use only letters, digits and @ . + - _ in a user name.",
        },
    )
    password1 = forms.CharField(
        label="Initial password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
        error_messages={"required": "Choose an initial password."},
    )
    password2 = forms.CharField(
        label="Initial password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Type the password a second time."},
    )

    field_order = ["first_name", "last_name", "username", "email", "password1", "password2"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if username_taken(username):
            raise ValidationError("That user name is already taken. Choose another.")
        return username

    def clean(self):
        data = super().clean()
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", "The two passwords differ. Type the same password twice.")
        elif one:
            candidate = User(
                username=data.get("username", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            )
            try:
                password_validation.validate_password(one, candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class UserEditForm(_UserFields):
    is_active = forms.BooleanField(
        label="May sign in (turn off when someone leaves; nothing is deleted)",
        required=False,
    )

    field_order = ["first_name", "last_name", "email", "is_active"]


class UserSearchForm(forms.Form):
    q = forms.CharField(label="Name or user name", required=False, max_length=100)
    role = forms.ChoiceField(
        label="Role",
        required=False,
        choices=lambda: [("", "Any role"), *((r.slug, r.name) for r in ROLES.values())],
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Active and inactive"), ("active", "Active"), ("inactive", "Inactive")],
    )
