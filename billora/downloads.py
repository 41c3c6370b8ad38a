"""Downloads of stored files (invoice PDFs, logos) through the app, whatever the storage.

The views check access, then either read the file from the storage (local files or object
storage alike: Django's storage API, never a local path) and answer with its bytes, or, with
``MEDIA_REDIRECT_SECONDS`` set, answer with a redirect to a signed URL of the object that
expires after that many seconds, so the bytes do not pass through the web processes.
"""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.http import content_disposition_header


def signed_redirect(file, *, content_type: str, filename: str | None = None, as_attachment: bool = False):
    """A redirect to a short-lived signed URL of ``file`` (a FieldFile), or None when
    downloads go through the app (the default, and always with local files). The signed URL
    makes the object store answer with the same Content-Type and Content-Disposition.

    Settings refuse MEDIA_REDIRECT_SECONDS without object storage, whose ``url()`` signs (the
    S3 backend is not imported here: local installations never load boto3)."""
    if not settings.MEDIA_REDIRECT_SECONDS:
        return None
    parameters = {"ResponseContentType": content_type}
    if filename:
        parameters["ResponseContentDisposition"] = content_disposition_header(as_attachment, filename)
    url = file.storage.url(file.name, parameters=parameters, expire=settings.MEDIA_REDIRECT_SECONDS)
    response = HttpResponseRedirect(url)
    # The URL expires: no cache may keep the redirect longer than that.
    response["Cache-Control"] = "private, no-store"
    return response
