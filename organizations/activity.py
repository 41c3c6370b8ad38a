"""How the organizations' audit entries (members, invites, API keys, settings) read on the
activity page, given to audit's registry from ``OrganizationsConfig.ready``."""

from django.utils.translation import gettext_lazy as _

from audit.presenters import Link, TargetKind, Wording, describe_actions, describe_fields, describe_targets
from organizations.permissions import ApiKeyScope, Role


def _member_text(label: str) -> str:
    # A membership's label is "person@example.com (member)": the role is in the changes.
    return label.rsplit(" (", 1)[0] if label.endswith(")") else label


def _new_value(entry, name, default=""):
    values = entry.changes.get(name) if isinstance(entry.changes, dict) else None
    return values[1] if isinstance(values, list) and len(values) == 2 and values[1] is not None else default


def _old_value(entry, name, default=""):
    values = entry.changes.get(name) if isinstance(entry.changes, dict) else None
    return values[0] if isinstance(values, list) and len(values) == 2 and values[0] is not None else default


def _role_word(value) -> str:
    return dict(Role.choices).get(value, value).lower()


def register() -> None:
    describe_targets(
        {
            "organization": TargetKind(_("organization"), text=lambda label: label),
            "membership": TargetKind(_("member"), "member_list", text=_member_text),
            "invite": TargetKind(_("invite"), "member_list", text=lambda label: label[:1].lower() + label[1:]),
            "apikey": TargetKind(_("API key"), "api_key_list"),
        }
    )
    describe_actions(
        {
            "organization.created": Wording(_("{actor} created the organization {target}"), _("Organization created")),
            "organization.updated": Wording(_("{actor} changed the organization’s settings"), _("Settings changed")),
            "member.invited": Wording(
                _("{actor} invited {email} as {role}"),
                _("Member invited"),
                values=lambda entry, links: {
                    "email": _new_value(entry, "email"),
                    "role": _role_word(_new_value(entry, "role")),
                },
            ),
            "member.role_changed": Wording(_("{actor} changed the role of {target}"), _("Role changed")),
            "member.removed": Wording(
                _("{actor} removed {member} from the organization"),
                _("Member removed"),
                values=lambda entry, links: {"member": Link(_old_value(entry, "user", _("a member")))},
            ),
            "invite.revoked": Wording(_("{actor} revoked the {target}"), _("Invite revoked")),
            "invite.accepted": Wording(
                _("{actor} joined as {role}"),
                _("Invite accepted"),
                values=lambda entry, links: {"role": _role_word(_new_value(entry, "role"))},
            ),
            "api_key.created": Wording(_("{actor} created the {target}"), _("API key created")),
            "api_key.revoked": Wording(_("{actor} revoked the {target}"), _("API key revoked")),
        }
    )
    describe_fields(
        {
            "role": _("Role"),
            "scope": _("Access"),
            "prefix": _("Prefix"),
            "user": _("Person"),
            "member": _("Person"),
            "revoked_at": _("Revoked"),
            "replaces_invites": None,
            "require_two_factor": _("Two-factor authentication required"),
            "default_currency": _("Default currency"),
            "time_zone": _("Time zone"),
        },
        values={"role": dict(Role.choices), "scope": dict(ApiKeyScope.choices)},
    )
