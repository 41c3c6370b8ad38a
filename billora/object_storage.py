"""Where uploaded logos and rendered PDFs are stored: local files (the default, for one machine)
or an S3-compatible object store (AWS S3, MinIO, Ceph, R2, ...) through django-storages, so
that every web and worker host reads and writes the same files.

Read by ``billora/settings.py``; nothing here touches Django's settings or imports an app. The
object store is chosen by ``STORAGE_URL``::

    s3://[ACCESS_KEY:SECRET@]bucket[/prefix]?endpoint_url=http://minio:9000&region_name=us-east-1

or by the usual ``AWS_STORAGE_BUCKET_NAME`` (+ ``AWS_S3_ENDPOINT_URL``, ``AWS_S3_REGION_NAME``,
``AWS_LOCATION``, ``AWS_S3_ADDRESSING_STYLE``). Credentials left out of the URL come from the
standard AWS chain (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, instance roles, ...).
"""

from urllib.parse import parse_qsl, unquote, urlsplit

S3_BACKEND = "storages.backends.s3.S3Storage"
LOCAL_BACKEND = "django.core.files.storage.FileSystemStorage"

# Query parameters of STORAGE_URL, each an S3Storage option of the same name. Anything else is
# refused: a misspelt option would otherwise be ignored silently.
URL_OPTIONS = {"endpoint_url", "region_name", "addressing_style", "signature_version", "verify", "use_ssl"}
BOOLEAN_OPTIONS = {"verify", "use_ssl"}
# The AWS_* variables django-storages documents, read when STORAGE_URL is not set.
ENVIRONMENT_OPTIONS = {
    "AWS_S3_ENDPOINT_URL": "endpoint_url",
    "AWS_S3_REGION_NAME": "region_name",
    "AWS_LOCATION": "location",
    "AWS_S3_ADDRESSING_STYLE": "addressing_style",
    "AWS_S3_SIGNATURE_VERSION": "signature_version",
}


class StorageConfigurationError(ValueError):
    """STORAGE_URL (or the AWS_* variables) cannot describe a storage."""


def _boolean(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise StorageConfigurationError(f"STORAGE_URL: {name} must be true or false, not {value!r}.")


def options_from_url(url: str) -> dict:
    """The S3Storage options described by ``url`` (see the module docstring)."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise StorageConfigurationError(f"STORAGE_URL must start with s3:// (got {parts.scheme or 'no'} scheme).")
    bucket = parts.hostname
    if not bucket:
        raise StorageConfigurationError("STORAGE_URL names no bucket: s3://bucket?endpoint_url=...")
    options = {"bucket_name": bucket}
    location = parts.path.strip("/")
    if location:
        options["location"] = location
    if parts.username is not None or parts.password is not None:
        if not parts.username or not parts.password:
            raise StorageConfigurationError("STORAGE_URL: give both the access key and the secret (key:secret@).")
        # Secrets may contain '/' or '+': they are percent-encoded in the URL.
        options["access_key"] = unquote(parts.username)
        options["secret_key"] = unquote(parts.password)
    for name, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if name not in URL_OPTIONS:
            allowed = ", ".join(sorted(URL_OPTIONS))
            raise StorageConfigurationError(f"STORAGE_URL: unknown option {name!r} (allowed: {allowed}).")
        options[name] = _boolean(name, value) if name in BOOLEAN_OPTIONS else value
    return options


def options_from_environment(environ) -> dict | None:
    """The S3Storage options named by the AWS_* variables, or None when no bucket is set."""
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        return None
    options = {"bucket_name": bucket}
    for variable, option in ENVIRONMENT_OPTIONS.items():
        value = environ.get(variable, "").strip()
        if value:
            options[option] = value.strip("/") if option == "location" else value
    return options


def default_storage_config(*, storage_url: str, environ, signed_url_seconds: int) -> dict:
    """``STORAGES["default"]``: the object store when one is configured, local files otherwise.

    Object storage is private (no ACL: the bucket's default, which must not be public), names
    are never overwritten (two organizations uploading ``logo.png`` the same year get two
    objects, as on the local disk), and URLs are signed for ``signed_url_seconds``."""
    options = options_from_url(storage_url) if storage_url else options_from_environment(environ)
    if options is None:
        return {"BACKEND": LOCAL_BACKEND}
    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            # Signature version 4 (expiry in X-Amz-Expires) unless the URL asks otherwise; boto
            # would sign us-east-1 URLs with the deprecated version 2.
            "signature_version": "s3v4",
            **options,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": signed_url_seconds,
        },
    }
