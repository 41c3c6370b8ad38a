"""How the organizations' audit entries (members, invites, API keys, settings) read on the
activity page, given to audit's registry from ``OrganizationsConfig.ready``."""

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
            "organization": TargetKind("organization", text=lambda label: label),
            "membership": TargetKind("member", "member_list", text=_member_text),
            "invite": TargetKind("invite", "member_list", text=lambda label: label[:1].lower() + label[1:]),
            "apikey": TargetKind("API key", "api_key_list"),
        }
    )
    describe_actions(
        {
            "organization.created": Wording("{actor} created the organization {target}", "Organization created"),
            "organization.updated": Wording("{actor} changed the organization’s settings", "Settings changed"),
            "member.invited": Wording(
                "{actor} invited {email} as {role}",
                "Member invited",
                values=lambda entry, links: {
                    "email": _new_value(entry, "email"),
                    "role": _role_word(_new_value(entry, "role")),
                },
            ),
            "member.role_changed": Wording("{actor} changed the role of {target}", "Role changed"),
            "member.removed": Wording(
                "{actor} removed {member} from the organization",
                "Member removed",
                values=lambda entry, links: {"member": Link(_old_value(entry, "user", "a member"))},
            ),
            "invite.revoked": Wording("{actor} revoked the {target}", "Invite revoked"),
            "invite.accepted": Wording(
                "{actor} joined as {role}",
                "Invite accepted",
                values=lambda entry, links: {"role": _role_word(_new_value(entry, "role"))},
            ),
            "api_key.created": Wording("{actor} created the {target}", "API key created"),
            "api_key.revoked": Wording("{actor} revoked the {target}", "API key revoked"),
        }
    )
    describe_fields(
        {
            "role": "Role",
            "scope": "Access",
            "prefix": "Prefix",
            "user": "Person",
            "member": "Person",
            "revoked_at": "Revoked",
            "replaces_invites": None,
            "require_two_factor": "Two-factor authentication required",
            "default_currency": "Default currency",
            "time_zone": "Time zone",
        },
        values={"role": dict(Role.choices), "scope": dict(ApiKeyScope.choices)},
    )
